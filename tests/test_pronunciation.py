"""Pronunciation dictionaries: PLS/TXT formats, rule semantics, the versioned API (official SDK),
and what Whisper hears with and without the rules."""

from __future__ import annotations

import httpx
import pytest

from polyvox.text.lexicon import (
    CompiledRules,
    Lexicon,
    LexiconError,
    LexRule,
    apply_lexicons,
    arpabet_to_ipa,
    engine_ipa,
    ipa_to_espeak,
    parse_pls,
    parse_txt,
    write_pls,
)
from tests.helpers import decode, transcribe

RACHEL = "21m00Tcm4TlvDq8ikWAM"

PLS = """<?xml version="1.0" encoding="UTF-8"?>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" alphabet="ipa" xml:lang="en-US">
  <lexeme><grapheme>Zyxqor</grapheme><alias>tomato</alias></lexeme>
  <lexeme><grapheme>Blorvik</grapheme><grapheme>BLORVIK</grapheme><phoneme>ˈpiːtsə</phoneme></lexeme>
  <lexeme><grapheme>Quux</grapheme><phoneme alphabet="cmu-arpabet">K W AH1 K S</phoneme></lexeme>
</lexicon>
"""


# ---------------------------------------------------------------------------------- formats
def test_parse_pls():
    lex = parse_pls(PLS.encode())
    assert lex.language == "en-US" and lex.alphabet == "ipa"
    assert [(r.string_to_replace, r.type) for r in lex.rules] == [
        ("Zyxqor", "alias"), ("Blorvik", "phoneme"), ("BLORVIK", "phoneme"), ("Quux", "phoneme")]
    assert lex.rules[3].alphabet == "cmu-arpabet"


def test_pls_round_trip_is_valid_pls():
    lex = parse_pls(PLS.encode())
    out = write_pls(lex)
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    again = parse_pls(out)
    assert again.rules == lex.rules and again.language == "en-US"


@pytest.mark.parametrize("data,needle", [
    (b"", "empty"),
    (b"<lexicon><lexeme><grapheme>x</grapheme>", "not well-formed XML"),
    (b"<notalexicon/>", "root element must be <lexicon>"),
    (b'<lexicon alphabet="klingon"/>', "alphabet"),
    (b"<lexicon><lexeme><alias>x</alias></lexeme></lexicon>", "needs at least one non-empty <grapheme>"),
    (b"<lexicon><lexeme><grapheme>x</grapheme></lexeme></lexicon>", "neither <alias> nor <phoneme>"),
    (b'<lexicon alphabet="cmu-arpabet"><lexeme><grapheme>x</grapheme><phoneme>QQ9</phoneme></lexeme></lexicon>',
     "ARPAbet"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><lexicon/>', "DOCTYPE"),
])
def test_invalid_pls_names_the_problem(data, needle):
    with pytest.raises(LexiconError, match=needle.replace("<", "<")):
        parse_pls(data)


def test_txt_lexicon():
    lex = parse_txt("# names\nZyxqor\ttomato\nBlorvik\t/ˈpiːtsə/\nQuux\tcmu:K W AH1 K S\n\n")
    assert [(r.string_to_replace, r.type, r.alias or r.phoneme) for r in lex.rules] == [
        ("Zyxqor", "alias", "tomato"), ("Blorvik", "phoneme", "ˈpiːtsə"), ("Quux", "phoneme", "K W AH1 K S")]
    with pytest.raises(LexiconError, match="line 1"):
        parse_txt("no tab here\n")


def test_phoneme_alphabets():
    assert arpabet_to_ipa("Z IH1 K S AO0 R") == "zˈɪksɔɹ"  # stress marks before the vowel, eSpeak style
    assert arpabet_to_ipa("T AH0 M EY1 T OW2") == "təmˈeɪtˌoʊ"
    assert engine_ipa("ˈzɪk.sɔr") == "zˈɪksɔɹ"
    assert ipa_to_espeak("həˈloʊ") == "h@l'oU"


# ---------------------------------------------------------------------------------- rules
def _apply(rules, text):
    res = apply_lexicons(text, CompiledRules(rules))
    return res.mapped.text, [(res.mapped.text[p.start:p.end], p.ipa) for p in res.phonemes]


def test_rules_case_sensitive_whole_words_first_match_wins():
    rules = [LexRule("New York City", "alias", alias="the Big Apple"), LexRule("New York", "alias", alias="NY"),
             LexRule("York", "alias", alias="Yorck"), LexRule("cat", "alias", alias="feline"),
             LexRule("Cat", "phoneme", phoneme="kæt", alphabet="ipa")]
    text, phonemes = _apply(rules, "New York City, New  York, York, cat, Cat, cats, concat.")
    assert text == "the Big Apple, NY, Yorck, feline, Cat, cats, concat."
    assert phonemes == [("Cat", "kæt")]


def test_rule_options_from_newer_sdks():
    rules = [LexRule("acme", "alias", alias="Acme Corporation", case_sensitive=False),
             LexRule("ing", "alias", alias="ING", word_boundaries=False)]
    text, _ = _apply(rules, "ACME sells rings")
    assert text == "Acme Corporation sells rINGs"


def test_rules_of_several_dictionaries_apply_in_order():
    from polyvox.text.frontend import prepare

    a = CompiledRules([LexRule("Zyxqor", "alias", alias="first")])
    b = CompiledRules([LexRule("Zyxqor", "alias", alias="second"), LexRule("Qux", "alias", alias="other")])
    p = prepare("Zyxqor and Qux", "en", lexicons=[a, b])
    assert p.spoken.text == "first and other"


# ---------------------------------------------------------------------------------- API
def test_create_version_download_list_get(client, live_server):
    pd = client.pronunciation_dictionaries
    created = pd.create_from_file(name="names", file=("names.pls", PLS.encode(), "application/pls+xml"),
                                  description="made-up names")
    assert created.version_rules_num == 4 and len(created.version_id) == 20
    v1 = created.version_id
    added = pd.rules.add(created.id, rules=[{"type": "alias", "string_to_replace": "Glimf", "alias": "glove"}])
    assert added.version_id != v1 and added.version_rules_num == 5
    removed = pd.rules.remove(created.id, rule_strings=["Zyxqor", "Glimf"])
    assert removed.version_rules_num == 3
    # every version stays downloadable as valid PLS
    first = parse_pls(b"".join(pd.download(created.id, v1)))
    assert [r.string_to_replace for r in first.rules][0] == "Zyxqor"
    latest = parse_pls(b"".join(pd.download(created.id, removed.version_id)))
    assert "Zyxqor" not in [r.string_to_replace for r in latest.rules]
    got = pd.get(created.id)
    assert got.latest_version_id == removed.version_id and got.latest_version_rules_num == 3
    listed = pd.list(page_size=100)
    assert created.id in [d.id for d in listed.pronunciation_dictionaries]
    # SDK 1.x paths carry a trailing slash; both forms answer
    h = {"xi-api-key": live_server.admin_key}
    base = f"{live_server.base_url}/v1/pronunciation-dictionaries"
    for url in (base, base + "/", f"{base}/{created.id}", f"{base}/{created.id}/"):
        r = httpx.get(url, headers=h, timeout=30)
        assert r.status_code == 200, (url, r.text)


def test_create_from_rules_and_txt_file(client):
    pd = client.pronunciation_dictionaries
    made = pd.create_from_rules(name="rules", rules=[
        {"type": "alias", "string_to_replace": "Zyxqor", "alias": "tomato"},
        {"type": "phoneme", "string_to_replace": "Blorvik", "phoneme": "P IY1 T S AH0", "alphabet": "cmu-arpabet"}])
    assert made.version_rules_num == 2
    txt = pd.create_from_file(name="txt", file=("names.txt", "Zyxqor\ttomato\n".encode(), "text/plain"))
    assert txt.version_rules_num == 1


def test_invalid_pls_is_400_and_nothing_is_stored(live_server):
    h = {"xi-api-key": live_server.admin_key}
    base = f"{live_server.base_url}/v1/pronunciation-dictionaries"
    before = len(httpx.get(base, params={"page_size": 100}, headers=h).json()["pronunciation_dictionaries"])
    r = httpx.post(f"{base}/add-from-file", headers=h, data={"name": "broken"},
                   files={"file": ("broken.pls", b"<lexicon><lexeme><grapheme>x</grapheme></lexicon>",
                                   "application/pls+xml")})
    assert r.status_code == 400
    assert "not well-formed XML" in r.json()["detail"]["message"]
    after = len(httpx.get(base, params={"page_size": 100}, headers=h).json()["pronunciation_dictionaries"])
    assert after == before
    r = httpx.post(f"{base}/nope/add-rules", headers=h, json={"rules": []})
    assert r.status_code == 404


def _say(client, text, locators=None, listen=True):
    kw = {"pronunciation_dictionary_locators": locators} if locators else {}
    audio = b"".join(client.text_to_speech.convert(RACHEL, text=text, model_id="eleven_multilingual_v2", seed=7,
                                                    output_format="pcm_24000", **kw))
    if not listen:
        return audio, ""
    pcm, rate = decode(audio, "pcm_24000")
    return audio, transcribe(pcm, rate).text.lower()


def test_rules_change_what_whisper_hears_and_versions_keep_their_meaning(client):
    pd = client.pronunciation_dictionaries
    d = pd.create_from_file(name="whisper", file=("w.pls", PLS.encode(), "application/pls+xml"))
    text = "My friend Zyxqor made Blorvik for dinner."
    plain_audio, plain = _say(client, text)
    assert "tomato" not in plain and "pizza" not in plain
    v1 = [{"pronunciation_dictionary_id": d.id, "version_id": d.version_id}]
    v1_audio, heard = _say(client, text, v1)
    assert "tomato" in heard  # the alias
    assert "pizza" in heard  # the IPA rule
    v2 = pd.rules.remove(d.id, rule_strings=["Zyxqor"])
    _, heard2 = _say(client, text, [{"pronunciation_dictionary_id": d.id, "version_id": v2.version_id}])
    assert "tomato" not in heard2 and "pizza" in heard2  # the removed rule is gone, the other stays
    again_audio, _ = _say(client, text, v1, listen=False)  # the old version still gives the old result
    assert again_audio == v1_audio
    latest_audio, _ = _say(client, text, [{"pronunciation_dictionary_id": d.id}], listen=False)  # no version: latest
    assert latest_audio != v1_audio and latest_audio != plain_audio
    pd.rules.remove(d.id, rule_strings=["Blorvik"])  # with both rules gone the audio is the plain one again
    restored, _ = _say(client, text, [{"pronunciation_dictionary_id": d.id}], listen=False)
    assert restored == plain_audio


def test_unknown_dictionary_in_a_tts_request_is_404(live_server):
    r = httpx.post(f"{live_server.base_url}/v1/text-to-speech/{RACHEL}", timeout=30,
                   headers={"xi-api-key": live_server.admin_key},
                   json={"text": "Hi.", "pronunciation_dictionary_locators": [
                       {"pronunciation_dictionary_id": "doesnotexist", "version_id": "nope"}]})
    assert r.status_code == 404 and r.json()["detail"]["status"] == "pronunciation_dictionary_not_found"


def test_lexicon_language_scopes_rules():
    lex = Lexicon(language="fr-FR")
    assert lex.applies_to("fr") and not lex.applies_to("en")
    assert Lexicon().applies_to("en")
