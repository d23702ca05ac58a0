"""Pronunciation dictionaries: stored, versioned rule lists that TTS requests cite.

Every change writes a new immutable version holding the complete rule list (the
dictionary row points at the latest), so ``{pronunciation_dictionary_id, version_id}``
locators keep meaning exactly what they meant when they were written. Rules follow
``polyvox.text.lexicon``: alias or phoneme (IPA / CMU ARPAbet), case-sensitive, whole
words, first match wins. ``add-rules`` replaces a rule with the same ``string_to_replace``
in place (else appends); ``remove-rules`` drops the rules with those strings.

``resolve`` turns up to three locators into compiled rule sets for the text front-end; a
compiled version is cached by its id (versions never change).
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from polyvox.errors import InvalidRequest, NotFound
from polyvox.store.db import Database
from polyvox.store.models_pronunciation import PronunciationDictionary, PronunciationDictionaryVersion
from polyvox.text.lexicon import CompiledRules, Lexicon, LexiconError, LexRule, parse_lexicon_file, write_pls

MAX_FILE_BYTES = 4 << 20
MAX_LOCATORS = 3
_ALPHANUM = string.ascii_letters + string.digits
_CACHE_SIZE = 64


class DictionaryNotFound(NotFound):
    code = "pronunciation_dictionary_not_found"


class InvalidDictionary(InvalidRequest):
    code = "invalid_pronunciation_dictionary"


def _new_id() -> str:
    return "".join(secrets.choice(_ALPHANUM) for _ in range(20))


@dataclass(frozen=True)
class Locator:
    dictionary_id: str
    version_id: str | None = None


@dataclass(frozen=True)
class ResolvedRules:
    rules: CompiledRules
    language: str | None

    def applies_to(self, language: str) -> bool:
        return Lexicon(language=self.language).applies_to(language)


_cache: OrderedDict[str, ResolvedRules] = OrderedDict()
_cache_lock = threading.Lock()


class PronunciationService:
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def build(cls, services) -> PronunciationService:
        return cls(services.db)

    # ---------------------------------------------------------------------- create
    def create_from_file(self, *, key_id: str | None, name: str, data: bytes, filename: str | None,
                         description: str | None = None, workspace_access: str | None = None) -> dict[str, Any]:
        if len(data) > MAX_FILE_BYTES:
            raise InvalidDictionary(f"The lexicon file is larger than {MAX_FILE_BYTES >> 20} MB.", status=413)
        try:
            lex = parse_lexicon_file(data, filename)
        except LexiconError as e:
            raise InvalidDictionary(str(e)) from None
        return self._create(key_id, name, description, workspace_access, lex)

    def create_from_rules(self, *, key_id: str | None, name: str, rules: list[dict[str, Any]],
                          description: str | None = None, workspace_access: str | None = None) -> dict[str, Any]:
        return self._create(key_id, name, description, workspace_access, Lexicon(rules=_rules(rules)))

    def _create(self, key_id, name, description, workspace_access, lex: Lexicon) -> dict[str, Any]:
        if not name or not name.strip():
            raise InvalidRequest("A pronunciation dictionary needs a name.", code="invalid_request")
        now = int(time.time())
        did, vid = _new_id(), _new_id()
        with self.db.session() as s:
            s.add(PronunciationDictionary(dictionary_id=did, name=name.strip(), description=description,
                                          created_by=key_id, creation_time_unix=now, latest_version_id=vid,
                                          latest_version_rules_num=len(lex.rules), workspace_access=workspace_access))
            s.flush()
            s.add(PronunciationDictionaryVersion(version_id=vid, dictionary_id=did, version_number=1,
                                                 rules=[r.to_dict() for r in lex.rules], rules_num=len(lex.rules),
                                                 language=lex.language, alphabet=lex.alphabet, created_by=key_id,
                                                 creation_time_unix=now))
        return {"id": did, "name": name.strip(), "created_by": key_id or "", "creation_time_unix": now,
                "version_id": vid, "version_rules_num": len(lex.rules), "description": description,
                "permission_on_resource": "admin"}

    # ---------------------------------------------------------------------- versions
    def add_rules(self, dictionary_id: str, rules: list[dict[str, Any]], key_id: str | None) -> dict[str, Any]:
        new = _rules(rules)

        def change(old: list[LexRule]) -> list[LexRule]:
            out = list(old)
            for r in new:
                at = next((i for i, o in enumerate(out) if o.string_to_replace == r.string_to_replace), None)
                if at is None:
                    out.append(r)
                else:
                    out[at] = r
            return out

        return self._new_version(dictionary_id, change, key_id)

    def remove_rules(self, dictionary_id: str, rule_strings: list[str], key_id: str | None) -> dict[str, Any]:
        drop = set(rule_strings)
        return self._new_version(dictionary_id, lambda old: [r for r in old if r.string_to_replace not in drop], key_id)

    def set_rules(self, dictionary_id: str, rules: list[dict[str, Any]], key_id: str | None) -> dict[str, Any]:
        new = _rules(rules)
        return self._new_version(dictionary_id, lambda _old: new, key_id)

    def _new_version(self, dictionary_id: str, change, key_id: str | None) -> dict[str, Any]:
        with self.db.session() as s:
            d = s.get(PronunciationDictionary, dictionary_id, with_for_update=True)
            if d is None:
                raise DictionaryNotFound(f"Pronunciation dictionary {dictionary_id!r} was not found.")
            latest = s.get(PronunciationDictionaryVersion, d.latest_version_id)
            old = [LexRule.from_dict(r) for r in (latest.rules if latest else [])]
            rules = change(old)
            number = (s.scalar(select(func.max(PronunciationDictionaryVersion.version_number))
                               .where(PronunciationDictionaryVersion.dictionary_id == dictionary_id)) or 0) + 1
            vid = _new_id()
            s.add(PronunciationDictionaryVersion(
                version_id=vid, dictionary_id=dictionary_id, version_number=number,
                rules=[r.to_dict() for r in rules], rules_num=len(rules), language=latest.language if latest else None,
                alphabet=latest.alphabet if latest else "ipa", created_by=key_id, creation_time_unix=int(time.time())))
            d.latest_version_id = vid
            d.latest_version_rules_num = len(rules)
        return {"id": dictionary_id, "version_id": vid, "version_rules_num": len(rules)}

    # ---------------------------------------------------------------------- read
    def get(self, dictionary_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            d = s.get(PronunciationDictionary, dictionary_id)
            if d is None:
                raise DictionaryNotFound(f"Pronunciation dictionary {dictionary_id!r} was not found.")
            v = s.get(PronunciationDictionaryVersion, d.latest_version_id)
            out = _meta(d)
            out["rules"] = list(v.rules) if v else []
            return out

    def list(self, *, cursor: str | None = None, page_size: int = 30, sort: str = "creation_time_unix",
             sort_direction: str = "DESCENDING", include_archived: bool = False) -> dict[str, Any]:
        try:
            offset = int(cursor) if cursor else 0
        except ValueError:
            raise InvalidRequest(f"Invalid cursor {cursor!r}.", code="invalid_request") from None
        col = PronunciationDictionary.name if sort == "name" else PronunciationDictionary.creation_time_unix
        order = col.asc() if sort_direction.lower().startswith("asc") else col.desc()
        with self.db.session() as s:
            q = select(PronunciationDictionary)
            if not include_archived:
                q = q.where(PronunciationDictionary.archived_time_unix.is_(None))
            rows = s.scalars(q.order_by(order, PronunciationDictionary.dictionary_id)
                             .offset(offset).limit(page_size + 1)).all()
            items = [_meta(d) for d in rows[:page_size]]
        more = len(rows) > page_size
        return {"pronunciation_dictionaries": items, "next_cursor": str(offset + page_size) if more else None,
                "has_more": more}

    def update(self, dictionary_id: str, *, name: str | None = None, archived: bool | None = None) -> dict[str, Any]:
        with self.db.session() as s:
            d = s.get(PronunciationDictionary, dictionary_id)
            if d is None:
                raise DictionaryNotFound(f"Pronunciation dictionary {dictionary_id!r} was not found.")
            if name is not None and name.strip():
                d.name = name.strip()
            if archived is not None:
                d.archived_time_unix = int(time.time()) if archived else None
            return _meta(d)

    def lexicon(self, dictionary_id: str, version_id: str | None = None) -> Lexicon:
        with self.db.session() as s:
            v = self._version(s, dictionary_id, version_id)
            return Lexicon(rules=[LexRule.from_dict(r) for r in v.rules], language=v.language, alphabet=v.alphabet)

    def download(self, dictionary_id: str, version_id: str) -> bytes:
        return write_pls(self.lexicon(dictionary_id, version_id))

    @staticmethod
    def _version(s, dictionary_id: str, version_id: str | None) -> PronunciationDictionaryVersion:
        d = s.get(PronunciationDictionary, dictionary_id)
        if d is None:
            raise DictionaryNotFound(f"Pronunciation dictionary {dictionary_id!r} was not found.")
        v = s.get(PronunciationDictionaryVersion, version_id or d.latest_version_id)
        if v is None or v.dictionary_id != dictionary_id:
            raise DictionaryNotFound(f"Pronunciation dictionary {dictionary_id!r} has no version {version_id!r}.",
                                     code="pronunciation_dictionary_version_not_found")
        return v

    # ---------------------------------------------------------------------- for TTS
    def resolve(self, locators: list[Locator]) -> list[ResolvedRules]:
        """Compiled rules for up to three locators, in order (404 for an unknown one)."""
        if len(locators) > MAX_LOCATORS:
            raise InvalidRequest(f"At most {MAX_LOCATORS} pronunciation dictionaries per request.",
                                 code="invalid_request", status=422)
        out: list[ResolvedRules] = []
        for loc in locators:
            if loc.version_id:
                with _cache_lock:
                    hit = _cache.get(loc.version_id)
                    if hit is not None:
                        _cache.move_to_end(loc.version_id)
                if hit is not None:
                    out.append(hit)
                    continue
            with self.db.session() as s:
                v = self._version(s, loc.dictionary_id, loc.version_id)
                vid, rules, lang = v.version_id, [LexRule.from_dict(r) for r in v.rules], v.language
            with _cache_lock:
                hit = _cache.get(vid)
            if hit is None:
                hit = ResolvedRules(CompiledRules(rules), lang)
                with _cache_lock:
                    _cache[vid] = hit
                    while len(_cache) > _CACHE_SIZE:
                        _cache.popitem(last=False)
            out.append(hit)
        return out


def _rules(rules: list[dict[str, Any]]) -> list[LexRule]:
    if not isinstance(rules, list):
        raise InvalidDictionary("'rules' must be a list of alias or phoneme rules.")
    try:
        return [LexRule.from_dict(r if isinstance(r, dict) else {}) for r in rules]
    except LexiconError as e:
        raise InvalidDictionary(str(e)) from None


def _meta(d: PronunciationDictionary) -> dict[str, Any]:
    return {"id": d.dictionary_id, "latest_version_id": d.latest_version_id,
            "latest_version_rules_num": d.latest_version_rules_num, "name": d.name,
            "permission_on_resource": "admin", "created_by": d.created_by or "",
            "creation_time_unix": d.creation_time_unix, "archived_time_unix": d.archived_time_unix,
            "description": d.description}


__all__ = ["DictionaryNotFound", "InvalidDictionary", "Locator", "MAX_FILE_BYTES", "PronunciationService",
           "ResolvedRules"]
