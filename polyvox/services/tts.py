"""Text to speech: validate a request, then stream it segment by segment.

``plan`` checks everything a request can get wrong (voice, model, language, format,
length, quota, concurrency) before the first byte, so routes can still answer with a
proper error status. ``stream`` then renders segments in the engine pool, one segment
ahead of the one being sent, and pushes them through one continuous encoder per
response. Each chunk carries the alignment of the original characters it covers.

The text front-end (``polyvox.text.frontend``) runs in ``plan``: SSML (breaks, phonemes,
``<sub>``, ``<say-as>``, ``<lang>``), pronunciation dictionaries, normalisation (numbers,
dates, money ... as words), language detection when ``language_code`` is absent. Segments
are cut from the *spoken* text; each chunk carries the alignment of the ORIGINAL characters
it covers (``chars``/``starts``/``ends``) and of the spoken ones (``norm_*``), as the
ElevenLabs timestamp routes return them (``alignment`` / ``normalized_alignment``).
An SSML break is exact silence: the speech on both sides is trimmed to its first/last
sound, and the break's seconds are inserted between them.

Continuity across segments and requests:
- every segment is matched to one loudness target (the one measured on the cited
  ``previous_request_ids`` when given), so level stays even;
- pauses between segments follow the punctuation that ended the previous one;
- a segment cut mid-sentence is rendered with the next few words as lookahead (cut away
  again using the alignment), so its intonation does not fall as if the sentence ended;
- ``previous_text``/``next_text`` (or the texts of cited requests) are synthesized as
  context around the first/last segment and cut away using the engine's alignment, so
  intonation continues instead of resetting at the request boundary.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from polyvox.audio import dsp
from polyvox.audio.encoder import StreamEncoder
from polyvox.audio.formats import OutputFormat, parse_output_format
from polyvox.engines.manager import EngineManager
from polyvox.engines.tts.base import SynthesisRequest, VoiceSettings
from polyvox.errors import (
    EngineFailure,
    InvalidOutputFormat,
    InvalidRequest,
    MaxCharacterLimitExceeded,
    ModelNotFound,
    PolyvoxError,
    UnsupportedLanguage,
)
from polyvox.services.history import HistoryService, NewHistoryItem
from polyvox.services.keys import KeyService, Principal
from polyvox.services.limits import Limiter
from polyvox.services.models import LANGUAGE_NAMES, ModelSpec, get_model
from polyvox.services.tts_stream import PieceShaper
from polyvox.services.voices import VoiceService, settings_from_dict
from polyvox.store.models import Voice
from polyvox.text import langdetect
from polyvox.text.frontend import Prepared, SpokenSegment, auto_normalize, prepare
from polyvox.text.ssml import SsmlError, strip_markup

logger = logging.getLogger(__name__)

TARGET_LUFS = -19.0
_PAUSES = {".": 0.28, "!": 0.28, "?": 0.3, "…": 0.35, ";": 0.16, ":": 0.14, ",": 0.1, "—": 0.12, "\n": 0.45}
_FADE_MS = 4.0
_CONTEXT_CHARS = 80


@dataclass
class TTSRequest:
    text: str
    voice_id: str
    model_id: str | None = None
    language_code: str | None = None
    voice_settings: dict[str, Any] | None = None
    seed: int | None = None
    previous_text: str | None = None
    next_text: str | None = None
    previous_request_ids: list[str] = field(default_factory=list)
    next_request_ids: list[str] = field(default_factory=list)
    apply_text_normalization: str = "auto"
    enable_ssml_parsing: bool = True
    """HTTP always reads SSML tags; the WebSocket only with ``enable_ssml_parsing=true``."""
    pronunciation_dictionary_locators: list[tuple[str, str | None]] = field(default_factory=list)
    """Up to three ``(pronunciation_dictionary_id, version_id)``; version None: the latest."""
    output_format: str = "mp3_44100_128"
    enable_logging: bool = True
    source: str = "TTS"
    billable: bool = True
    """False for the server's own renders (voice previews): no quota check, no charge."""


class AdmissionSlot:
    """A held concurrency slot; ``release`` is idempotent."""

    def __init__(self, limiter: Limiter, key_id: str) -> None:
        self._limiter, self._key, self._held = limiter, key_id, True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._limiter.release(self._key)


FIRST_SEGMENT = {0: 60, 1: 50, 2: 40, 3: 30, 4: 24}
"""``optimize_streaming_latency`` 0-4 -> the longest first segment, in characters: the first audio
waits for the first segment's front end and (Kokoro) its first decoded window."""


@dataclass
class Plan:
    """A validated request: everything ``stream`` needs, decided before the first byte."""

    request_id: str
    history_item_id: str
    principal: Principal
    req: TTSRequest
    model: ModelSpec
    voice: Voice
    engine: str
    engine_voice: str
    language: str
    settings: VoiceSettings
    fmt: OutputFormat
    segments: list[SpokenSegment]
    target_lufs: float
    context_before: str
    context_after: str
    prepared: Prepared | None = None
    engine_voices: dict[str, str] = field(default_factory=dict)
    """Engine voice per language (a ``<lang>`` span may switch language)."""
    slot: AdmissionSlot | None = None
    latency: int = 0
    """``optimize_streaming_latency`` 0-4, handed to the engine (see ``SynthesisRequest.latency``)."""

    @property
    def character_cost(self) -> int:
        return len(self.req.text)


@dataclass
class Chunk:
    audio: bytes
    """Encoded bytes in the requested format (may be empty for a tiny segment)."""
    chars: list[str]
    """Original characters this chunk covers (in order, with the whitespace before them)."""
    starts: list[float]
    """Seconds from the start of the response."""
    ends: list[float]
    pcm_seconds: float
    """Audio duration this chunk adds."""
    norm_chars: list[str] = field(default_factory=list)
    """Spoken (normalised) characters this chunk covers, and their times (``normalized_alignment``)."""
    norm_starts: list[float] = field(default_factory=list)
    norm_ends: list[float] = field(default_factory=list)


@dataclass
class _Rendered:
    pcm: np.ndarray
    chars: list[str]
    starts: list[float]
    ends: list[float]
    norm_chars: list[str] = field(default_factory=list)
    norm_starts: list[float] = field(default_factory=list)
    norm_ends: list[float] = field(default_factory=list)


class TTSService:
    def __init__(self, *, engines: EngineManager, voices: VoiceService, history: HistoryService,
                 keys: KeyService, limiter: Limiter, pool: ThreadPoolExecutor, character_limit: int = 0) -> None:
        self.engines = engines
        self.voices = voices
        self._io = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tts-io")
        self.history = history
        self.keys = keys
        self.limiter = limiter
        self.pool = pool
        self.character_limit = character_limit
        self._pronunciation = None
        langdetect.warm()

    # validation ----------------------------------------------------------------------
    def plan(self, principal: Principal, req: TTSRequest, *, first_max: int | None = 60, latency: int = 0) -> Plan:
        if not req.text or not req.text.strip():
            raise InvalidRequest("Text must not be empty.", code="empty_text")
        model = get_model(req.model_id)
        if model.engine not in self.engines.names():
            raise ModelNotFound(
                f"Model {model.model_id!r} is a user-installed model and is not installed on this server "
                f"(its {model.engine} engine is not configured; see docs/voice-cloning.md).",
                code="model_not_installed")
        if len(req.text) > model.max_characters:
            raise MaxCharacterLimitExceeded(
                f"Text is {len(req.text)} characters long; model {model.model_id} accepts at most "
                f"{model.max_characters} characters per request.")
        try:
            fmt = parse_output_format(req.output_format)
        except ValueError as e:
            raise InvalidOutputFormat(str(e)) from e
        voice = self.voices.get(req.voice_id)
        engine = self.engines.peek(model.engine)
        allowed = set(model.languages) if model.languages else set(engine.info.languages)
        language = self._language(req, model, voice, engine.info.languages)
        settings = settings_from_dict(req.voice_settings, settings_from_dict(voice.settings))
        _check_settings(settings)
        prepared = self._prepare(req, model.engine, language, first_max)
        if not prepared.segments and prepared.trailing_break <= 0:
            raise InvalidRequest("Text has nothing to speak.", code="empty_text")
        for lang in sorted(prepared.languages - allowed):
            raise UnsupportedLanguage(_unsupported(model, lang, allowed, "in a <lang> tag"))
        engine_voices = {lang: self.voices.binding(voice, model.engine, lang)
                         for lang in prepared.languages | {language}}
        cited = self.history.stitch_info(req.previous_request_ids[:3])
        levels = [c.loudness_lufs for c in cited if c.loudness_lufs is not None]
        before = " ".join(c.text for c in cited) if cited else (req.previous_text or "")
        after_cited = self.history.stitch_info(req.next_request_ids[:3])
        after = " ".join(c.text for c in after_cited) if after_cited else (req.next_text or "")
        if req.billable:
            self.keys.check_quota(principal.key_id, len(req.text), self.character_limit)
        return Plan(request_id=uuid.uuid4().hex, history_item_id=uuid.uuid4().hex[:20], principal=principal, req=req,
                    model=model, voice=voice, engine=model.engine, engine_voice=engine_voices[language],
                    language=language, settings=settings, fmt=fmt, segments=prepared.segments,
                    target_lufs=float(np.mean(levels)) if levels else TARGET_LUFS,
                    context_before=self._spoken_context(_tail(before), req, model.engine, language),
                    context_after=self._spoken_context(_head(after), req, model.engine, language),
                    prepared=prepared, engine_voices=engine_voices, latency=max(0, min(4, latency)))

    @staticmethod
    def _normalize_for(req: TTSRequest, engine: str):
        """``apply_text_normalization``: off, on, or (auto) where the engine benefits (see frontend)."""
        mode = (req.apply_text_normalization or "auto").lower()
        if mode == "off":
            return False
        if mode == "on":
            return True
        return lambda lang: auto_normalize(engine, lang)

    def _prepare(self, req: TTSRequest, engine: str, language: str, first_max: int | None) -> Prepared:
        lexicons = [r.rules for r in self._dictionaries(req.pronunciation_dictionary_locators)
                    if r.applies_to(language)]
        try:
            return prepare(req.text, language, normalize_for=self._normalize_for(req, engine),
                           ssml=req.enable_ssml_parsing, lexicons=lexicons, first_max=first_max)
        except SsmlError as e:
            raise InvalidRequest(f"Invalid SSML: {e}", code="invalid_ssml", status=422) from None

    def _spoken_context(self, text: str, req: TTSRequest, engine: str, language: str) -> str:
        """previous/next text as it would be spoken (normalised, markup removed)."""
        if not text:
            return ""
        try:
            p = prepare(text, language, normalize_for=self._normalize_for(req, engine),
                        ssml=req.enable_ssml_parsing, first_max=None)
        except SsmlError:
            return strip_markup(text)
        return " ".join(p.spoken.text.split())

    def _dictionaries(self, locators: list[tuple[str, str | None]]):
        if not locators:
            return []
        from polyvox.services.pronunciation import Locator, PronunciationService

        if self._pronunciation is None:
            self._pronunciation = PronunciationService(self.history.db)
        return self._pronunciation.resolve([Locator(d, v) for d, v in locators])

    @staticmethod
    def _language(req: TTSRequest, model: ModelSpec, voice: Voice, engine_langs: frozenset[str]) -> str:
        """``language_code``, else the language detected in the text, else the voice's language.

        Detection only overrides the voice's language when it is fairly sure (lingua
        confidence >= 0.6 on 15+ letters); text that is very surely in a language the
        model cannot speak (>= 0.9 on 30+ letters) is refused with a clear error.
        """
        allowed = set(model.languages) if model.languages else set(engine_langs)
        if req.language_code:
            code = req.language_code.lower().replace("_", "-").split("-")[0]
            if code not in allowed:
                raise UnsupportedLanguage(_unsupported(model, code, allowed))
            return code
        fallback = voice.language if voice.language in allowed else ("en" if "en" in allowed else sorted(allowed)[0])
        plain = (strip_markup(req.text) if req.enable_ssml_parsing else req.text)[:2000]
        det = langdetect.detect(plain)
        if det is None or det.language == fallback:
            return fallback
        letters = sum(1 for ch in plain if ch.isalpha())
        if det.language in allowed:
            return det.language if det.confidence >= 0.6 and letters >= 15 else fallback
        if det.confidence >= 0.9 and letters >= 30:
            raise UnsupportedLanguage(_unsupported(model, det.language, allowed,
                                                   f"detected from the text, {det.confidence:.0%} sure"))
        return fallback

    # generation ----------------------------------------------------------------------
    async def stream(self, plan: Plan, *, encoder: StreamEncoder | None = None,
                     finalize: bool = True) -> AsyncIterator[Chunk]:
        """Render and encode ``plan`` chunk by chunk, holding a concurrency slot throughout.

        The request is recorded in history (and charged) only when the whole stream was
        produced; a failure or a client that goes away leaves no trace. A WebSocket
        session passes its own ``encoder`` and ``finalize=False``, so that many
        generations form one continuous audio stream.
        """
        loop = asyncio.get_running_loop()
        if encoder is None:
            encoder = self.encoder(plan)
        kept: list[bytes] = []
        all_chars: list[str] = []
        all_starts: list[float] = []
        all_ends: list[float] = []
        clock = 0.0
        total_pcm = 0.0
        lufs: list[float] = []
        pieces: Iterator[tuple[_Rendered, float | None, bool]] | None = None
        try:
            count = max(1, len(plan.segments))  # a text that is only a break is one chunk of silence
            rate = self.engines.peek(plan.engine).info.sample_rate
            # the first segment leaves window by window while it is being decoded; each further
            # segment renders while the one before it is sent
            if self._streamable(plan):
                pieces = self._render_pieces(plan, 0)
                pending = loop.run_in_executor(self.pool, next, pieces)
            else:
                pending = loop.run_in_executor(self.pool, self._render_whole, plan, 0)
            i = 0
            while i < count:
                rendered, seg_lufs, done = await pending
                if done:
                    pieces, i = None, i + 1
                    if i < count:
                        pending = loop.run_in_executor(self.pool, self._render_whole, plan, i)
                else:
                    pending = loop.run_in_executor(self.pool, next, pieces)
                if seg_lufs is not None:
                    lufs.append(seg_lufs)
                # encoding and bookkeeping never queue behind other streams' renders
                data = await loop.run_in_executor(self._io, encoder.write, rendered.pcm)
                if i == count and finalize:
                    data += await loop.run_in_executor(self._io, encoder.finish)
                seconds = len(rendered.pcm) / rate
                starts = [clock + t for t in rendered.starts]
                ends = [clock + t for t in rendered.ends]
                chunk = Chunk(data, rendered.chars, starts, ends, seconds, rendered.norm_chars,
                              [clock + t for t in rendered.norm_starts], [clock + t for t in rendered.norm_ends])
                clock += seconds
                total_pcm += seconds
                kept.append(data)
                all_chars += rendered.chars
                all_starts += starts
                all_ends += ends
                yield chunk
            await loop.run_in_executor(self._io, self._finish, plan, b"".join(kept), total_pcm,
                                       float(np.mean(lufs)) if lufs else None,
                                       {"characters": all_chars, "character_start_times_seconds": all_starts,
                                        "character_end_times_seconds": all_ends})
        finally:
            if plan.slot:
                plan.slot.release()

    def encoder(self, plan: Plan) -> StreamEncoder:
        return StreamEncoder(plan.fmt, self.engines.peek(plan.engine).info.sample_rate)

    def admit(self, plan: Plan) -> AdmissionSlot:
        """Take a concurrency slot for ``plan`` (429 when none is free).

        ``stream`` gives it back when it ends; routes also release it in a background task,
        which covers a response whose stream never started.
        """
        self.limiter.acquire(plan.principal.key_id)
        plan.slot = AdmissionSlot(self.limiter, plan.principal.key_id)
        return plan.slot

    def _render(self, plan: Plan, index: int) -> tuple[_Rendered, float | None]:
        """Segment ``index``: its audio (the pause in front included) and both alignments.

        The chunk covers the spoken text from the end of the previous segment (the gap
        between them goes with this one) to the end of this segment, or to the end of the
        text for the last one; its original characters are those that stretch stands for.
        """
        prep = plan.prepared
        segs = plan.segments
        rate = self.engines.peek(plan.engine).info.sample_rate
        if not segs:
            return self._silence_only(plan, rate), None
        seg = segs[index]
        last = index == len(segs) - 1
        pcm, starts, ends, rate = self._synthesize(plan, index)
        seg_lufs = None
        if len(pcm):
            if plan.settings.use_speaker_boost:
                pcm = dsp.presence_boost(pcm, rate, 2.5)
            pcm = dsp.peak_limit(dsp.match_loudness(pcm, rate, plan.target_lufs))
            # the level actually sent, which later requests citing this one will match
            seg_lufs = dsp.loudness_lufs(pcm, rate) if len(pcm) > rate * 0.4 else None
        exact = seg.pause_before is not None or seg.break_after
        if seg.pause_before is not None:  # an SSML break: exact silence, so no engine padding around it
            pcm, starts, ends = _trim_edge(pcm, rate, starts, ends, head=True)
        if seg.break_after:
            pcm, starts, ends = _trim_edge(pcm, rate, starts, ends, head=False)
        fade = 1.0 if exact else _FADE_MS
        pcm = dsp.fade_out(dsp.fade_in(pcm, rate, fade), rate, fade)
        # the pause in front: the break's, else what the previous segment's punctuation asks for
        if seg.pause_before is not None:
            lead = seg.pause_before
        elif index > 0:
            prev = segs[index - 1]
            end_mark = prev.text.rstrip("\"')] ")[-1:]
            gap = prep.spoken.text[prev.end: seg.start]
            lead = 0.03 if prev.continues else _PAUSES["\n"] if "\n" in gap else _PAUSES.get(end_mark, 0.08)
            lead /= max(0.5, plan.settings.speed)
        else:
            lead = 0.0
        tail = prep.trailing_break if last else 0.0
        pcm = np.concatenate([np.zeros(int(round(lead * rate)), np.float32), pcm,
                              np.zeros(int(round(tail * rate)), np.float32)])
        duration = len(pcm) / rate
        chars, o_starts, o_ends, sp_chars, sp_starts, sp_ends = self._alignment(plan, index, starts, ends, lead,
                                                                                duration, tail)
        return _Rendered(pcm.astype(np.float32), chars, o_starts.tolist(), o_ends.tolist(),
                         sp_chars, sp_starts.tolist(), sp_ends.tolist()), seg_lufs

    @staticmethod
    def _alignment(plan: Plan, index: int, starts: np.ndarray, ends: np.ndarray, lead: float, duration: float,
                   tail: float) -> tuple[list[str], np.ndarray, np.ndarray, list[str], np.ndarray, np.ndarray]:
        """Original and spoken characters of segment ``index``'s chunk, with times in the chunk.

        The chunk covers the spoken text from the end of the previous segment (the gap before
        this one shares its pause ``lead``) to the end of this one, or of the text for the last.
        """
        prep = plan.prepared
        segs = plan.segments
        seg = segs[index]
        last = index == len(segs) - 1
        p = segs[index - 1].end if index > 0 else 0
        q = len(prep.spoken.text) if last else seg.end
        edges = np.linspace(0.0, lead, seg.start - p + 1)
        sp_starts = np.concatenate([edges[:-1], lead + starts, np.full(q - seg.end, duration - tail)])
        sp_ends = np.concatenate([edges[1:], lead + ends, np.full(q - seg.end, duration)])
        j0, j1, o_starts, o_ends = prep.times.times(p, q, sp_starts, sp_ends, 0.0, last=last, t_end=duration)
        return (list(prep.original[j0:j1]), np.asarray(o_starts, dtype=np.float64),
                np.asarray(o_ends, dtype=np.float64), list(prep.spoken.text[p:q]), sp_starts, sp_ends)

    def _render_whole(self, plan: Plan, index: int) -> tuple[_Rendered, float | None, bool]:
        return (*self._render(plan, index), True)

    def _streamable(self, plan: Plan) -> bool:
        """The first segment can be sent in pieces: the engine streams and no SSML break trims its edges."""
        if not plan.segments:
            return False
        seg = plan.segments[0]
        engine = self.engines.peek(plan.engine)
        return hasattr(engine, "synthesize_stream") and seg.pause_before is None and not seg.break_after

    def _render_pieces(self, plan: Plan, index: int) -> Iterator[tuple[_Rendered, float | None, bool]]:
        """``_render`` of segment ``index`` (no pause in front) piece by piece, as the engine decodes it.

        Each ``next()`` decodes one window. The pieces join to the audio of the segment, and
        each carries the characters that start in it; the alignment is the one ``_render``
        computes (the engine knows every time before it decodes). The last item has
        ``done=True`` and the segment's loudness.
        """
        prep = plan.prepared
        seg = plan.segments[index]
        last = index == len(plan.segments) - 1
        request, offset, before, after = self._engine_request(plan, index)
        with self._engine_errors(plan, index), self.engines.acquire(plan.engine) as engine:
            syn = engine.synthesize_stream(request)
        rate = syn.sample_rate
        all_starts = np.asarray(syn.char_starts, dtype=np.float64)
        all_ends = np.asarray(syn.char_ends, dtype=np.float64)
        starts = all_starts[offset: offset + len(seg.text)]
        ends = all_ends[offset: offset + len(seg.text)]
        a, b = 0, syn.samples
        if before or after:
            nxt = offset + len(seg.text) + 1
            next_start = float(all_starts[nxt]) if after and nxt < len(all_starts) else None
            a, b = _context_span(rate, starts, ends, syn.samples, next_start)
            starts, ends = starts - a / rate, ends - a / rate
        tail = prep.trailing_break if last else 0.0
        duration = (b - a) / rate + tail
        chars, o_starts, o_ends, sp_chars, sp_starts, sp_ends = self._alignment(plan, index, starts, ends, 0.0,
                                                                                duration, tail)
        shaper = PieceShaper(rate, plan.target_lufs, boost_db=2.5 if plan.settings.use_speaker_boost else 0.0,
                             fade_ms=_FADE_MS)
        decoded = iter(syn)
        pos = sent = 0  # engine samples decoded, shaped samples sent
        oj = sj = 0  # next original / spoken character to send
        while True:
            with self._engine_errors(plan, index):
                piece = next(decoded, None)
            final = piece is None or pos + len(piece) >= b
            if piece is not None:  # keep only the segment's own stretch [a, b) of the engine's audio
                n = len(piece)
                piece = piece[max(0, a - pos): max(0, b - pos)]
                pos += n
            pcm = shaper.push(piece if piece is not None else np.zeros(0, np.float32), final=final)
            if final:
                pcm = np.concatenate([pcm, np.zeros(round(tail * rate), np.float32)])
            elif not len(pcm):
                continue
            t0, t1 = sent / rate, (sent + len(pcm)) / rate
            ok, sk = oj, sj
            while ok < len(chars) and (final or o_starts[ok] < t1):
                ok += 1
            while sk < len(sp_chars) and (final or sp_starts[sk] < t1):
                sk += 1
            rendered = _Rendered(pcm, chars[oj:ok], (o_starts[oj:ok] - t0).tolist(), (o_ends[oj:ok] - t0).tolist(),
                                 sp_chars[sj:sk], (sp_starts[sj:sk] - t0).tolist(), (sp_ends[sj:sk] - t0).tolist())
            oj, sj, sent = ok, sk, sent + len(pcm)
            if final:
                shaped = shaper.shaped
                yield rendered, (dsp.loudness_lufs(shaped, rate) if len(shaped) > rate * 0.4 else None), True
                return
            yield rendered, None, False

    @staticmethod
    def _silence_only(plan: Plan, rate: int) -> _Rendered:
        """A text with nothing to say but a break ("<break time='1s'/>"): that silence."""
        prep = plan.prepared
        secs = prep.trailing_break
        edges = np.linspace(0.0, secs, len(prep.original) + 1)
        m = len(prep.spoken.text)
        return _Rendered(np.zeros(int(round(secs * rate)), np.float32), list(prep.original), edges[:-1].tolist(),
                         edges[1:].tolist(), list(prep.spoken.text), [0.0] * m, [secs] * m)

    def _engine_request(self, plan: Plan, index: int) -> tuple[SynthesisRequest, int, str, str]:
        """The engine request of segment ``index`` (with its context/lookahead text), the offset of
        the segment in it, and the context before and after."""
        segs = plan.segments
        seg = segs[index]
        first, last = index == 0, index == len(segs) - 1
        before = plan.context_before if first else ""
        after = plan.context_after if last else (_lookahead(segs[index + 1].text) if seg.continues else "")
        spoken = f"{before} {seg.text} {after}".strip() if (before or after) else seg.text
        offset = len(before) + 1 if before else 0
        seed = None if plan.req.seed is None else (plan.req.seed + index) % 2**32
        inline = getattr(self.engines.peek(plan.engine).info, "inline_phonemes", False)
        spans = tuple((a + offset, b + offset, ipa) for a, b, ipa in seg.phonemes) if inline else ()
        request = SynthesisRequest(text=spoken, voice=plan.engine_voices.get(seg.language, plan.engine_voice),
                                   language=seg.language, settings=plan.settings, seed=seed, phoneme_spans=spans,
                                   latency=plan.latency)
        return request, offset, before, after

    @contextmanager
    def _engine_errors(self, plan: Plan, index: int) -> Iterator[None]:
        """Engine exceptions as domain errors."""
        try:
            yield
        except ValueError as e:
            raise InvalidRequest(str(e), code="invalid_request") from e
        except PolyvoxError:
            raise
        except Exception as e:
            raise EngineFailure(f"The {plan.engine} engine failed on segment {index + 1}: {e}") from e

    def _synthesize(self, plan: Plan, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Engine audio and character times of one segment, context/lookahead rendered and cut away."""
        seg = plan.segments[index]
        request, offset, before, after = self._engine_request(plan, index)
        with self._engine_errors(plan, index), self.engines.acquire(plan.engine) as engine:
            rate = engine.info.sample_rate
            syn = engine.synthesize(request)
        pcm = np.asarray(syn.audio, dtype=np.float32)
        all_starts = np.asarray(syn.char_starts, dtype=np.float64)
        all_ends = np.asarray(syn.char_ends, dtype=np.float64)
        starts = all_starts[offset: offset + len(seg.text)]
        ends = all_ends[offset: offset + len(seg.text)]
        if before or after:
            nxt = offset + len(seg.text) + 1
            next_start = float(all_starts[nxt]) if after and nxt < len(all_starts) else None
            pcm, starts, ends = _cut_context(pcm, rate, starts, ends, next_start)
        return pcm, starts, ends, rate

    def close(self) -> None:
        self._io.shutdown(wait=True)

    async def render(self, principal: Principal, req: TTSRequest) -> bytes:
        """Plan, admit and render a whole request into bytes."""
        plan = self.plan(principal, req)
        self.admit(plan)
        return b"".join([c.audio async for c in self.stream(plan)])

    def _finish(self, plan: Plan, audio: bytes, seconds: float, lufs: float | None,
                alignment: dict[str, Any]) -> None:
        if not plan.req.billable:
            return
        text = plan.req.text
        rate = len(text.replace(" ", "")) / seconds if seconds > 0 else None
        self.history.record(NewHistoryItem(
            history_item_id=plan.history_item_id, request_id=plan.request_id, key_id=plan.principal.key_id,
            voice_id=plan.voice.voice_id, voice_name=plan.voice.name, voice_category=plan.voice.category,
            model_id=plan.model.model_id, text=text, content_type=plan.fmt.media_type,
            output_format=plan.fmt.name, settings=asdict(plan.settings), source=plan.req.source,
            duration_seconds=seconds, loudness_lufs=lufs, speaking_rate=rate,
            alignment=alignment), audio, log=plan.req.enable_logging)


def _check_settings(s: VoiceSettings) -> None:
    for name in ("stability", "similarity_boost", "style"):
        v = getattr(s, name)
        if not 0.0 <= v <= 1.0:
            raise InvalidRequest(f"voice_settings.{name} must be between 0 and 1, got {v}.",
                                 code="invalid_voice_settings")
    if not 0.7 <= s.speed <= 1.2:
        raise InvalidRequest(f"voice_settings.speed must be between 0.7 and 1.2, got {s.speed}.",
                             code="invalid_voice_settings")


def _tail(text: str) -> str:
    text = text.strip()
    if len(text) <= _CONTEXT_CHARS:
        return text
    cut = text.find(" ", len(text) - _CONTEXT_CHARS)
    return text[cut + 1:] if cut > 0 else text[-_CONTEXT_CHARS:]


def _head(text: str) -> str:
    text = text.strip()
    if len(text) <= _CONTEXT_CHARS:
        return text
    cut = text.rfind(" ", 0, _CONTEXT_CHARS)
    return text[:cut] if cut > 0 else text[:_CONTEXT_CHARS]


def _cut_context(pcm: np.ndarray, rate: int, starts: np.ndarray, ends: np.ndarray, next_start: float | None = None):
    """Keep only the audio of the request's own characters from a context-padded render.

    ``next_start``: where the following (context or lookahead) word begins; the cut stays
    before it, so that word's onset is not heard twice.
    """
    if len(starts) == 0:
        return pcm, starts, ends
    a, b = _context_span(rate, starts, ends, len(pcm), next_start)
    return pcm[a:b], starts - a / rate, ends - a / rate


def _context_span(rate: int, starts: np.ndarray, ends: np.ndarray, samples: int,
                  next_start: float | None) -> tuple[int, int]:
    """The samples ``[a, b)`` of a context-padded render that ``_cut_context`` keeps."""
    if len(starts) == 0:
        return 0, samples
    t0 = max(0.0, float(starts[0]) - 0.03)
    t1 = min(samples / rate, float(ends[-1]) + 0.06)
    if next_start is not None and next_start > float(ends[-1]):
        t1 = min(t1, max(float(ends[-1]), next_start - 0.01))
    return int(t0 * rate), max(int(t0 * rate) + 1, int(t1 * rate))


def _trim_edge(pcm: np.ndarray, rate: int, starts: np.ndarray, ends: np.ndarray, *, head: bool):
    """Cut the silence at the head (or the tail) of ``pcm`` to nothing: a break's silence is then exact."""
    if len(pcm) == 0:
        return pcm, starts, ends
    trimmed, cut = dsp.trim_silence(pcm, rate, threshold_db=-50.0, pad_ms=2.0)
    if len(trimmed) == 0:
        return pcm, starts, ends
    if head:
        shift = cut / rate
        return pcm[cut:], np.maximum(starts - shift, 0.0), np.maximum(ends - shift, 0.0)
    end = cut + len(trimmed)
    dur = end / rate
    return pcm[:end], np.minimum(starts, dur), np.minimum(ends, dur)


def _lookahead(text: str, words: int = 4, chars: int = 32) -> str:
    """The first few words of the next segment, rendered after one that ends mid-sentence."""
    out: list[str] = []
    for w in text.split():
        if out and len(" ".join([*out, w])) > chars:
            break
        out.append(w)
        if len(out) >= words or w[-1:] in ".!?;:,":
            break
    return " ".join(out)


def _unsupported(model: ModelSpec, code: str, allowed: set[str], how: str = "") -> str:
    name = LANGUAGE_NAMES.get(code, code)
    why = f" ({how})" if how else ""
    return (f"Model {model.model_id} cannot speak {name} ({code}){why} on this server. It speaks: "
            f"{', '.join(sorted(allowed))}. For other languages use model 'espeak' (100+ languages), "
            "or set language_code.")


def alignment_payload(chars: list[str], starts: list[float], ends: list[float]) -> dict[str, Any]:
    return {"characters": chars, "character_start_times_seconds": [round(x, 3) for x in starts],
            "character_end_times_seconds": [round(x, 3) for x in ends]}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


__all__ = ["Chunk", "Plan", "TTSRequest", "TTSService", "alignment_payload", "b64"]
