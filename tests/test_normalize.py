"""Text normalisation: the spoken form of each case in tests/normalize_cases.py, per language,
and the character map back to the written text."""

from __future__ import annotations

import numpy as np
import pytest

from polyvox.text.charmap import MappedText, SourceTimes
from polyvox.text.normalize import FULL_LANGUAGES, coverage, get_normalizer, normalize
from tests.normalize_cases import CASES

_PARAMS = [pytest.param(lang, src, want, id=f"{lang}-{i}") for lang, cases in CASES.items()
           for i, (src, want) in enumerate(cases)]


def test_corpus_size():
    counts = {lang: len(cases) for lang, cases in CASES.items()}
    assert counts["en"] >= 150
    assert all(counts[lang] >= 40 for lang in ("es", "fr", "de", "it", "pt")), counts


@pytest.mark.parametrize("lang,src,want", _PARAMS)
def test_spoken_form(lang, src, want):
    assert get_normalizer(lang)(src) == want


@pytest.mark.parametrize("lang", sorted(CASES))
def test_map_points_back_to_the_written_text(lang):
    for src, _ in CASES[lang]:
        m = normalize(src, lang)
        assert len(m.starts) == len(m.text)
        assert np.all(np.diff(m.starts) >= 0), src
        assert np.all(m.ends >= m.starts) and np.all(m.ends <= len(src)), src
        # copied characters map to themselves
        for i, ch in enumerate(m.text):
            if m.ends[i] - m.starts[i] == 1 and src[m.starts[i]] == ch:
                continue
            assert m.ends[i] > m.starts[i] or ch == " ", (src, i, ch)


def test_replacement_maps_to_its_whole_source():
    m = normalize("It costs $5 now.", "en")
    assert m.text == "It costs five dollars now."
    i = m.text.index("five dollars")
    assert {(int(m.starts[k]), int(m.ends[k])) for k in range(i, i + len("five dollars"))} == {(9, 11)}


def test_protected_spans_are_left_alone():
    text = "Call 555-123-4567 or 42."
    m = normalize(text, "en", protected=[(5, 17)])
    assert m.text == "Call 555-123-4567 or forty-two."


def test_source_times_spread_a_replacement_over_its_characters():
    m = normalize("Pay $5 now", "en")  # "Pay five dollars now"
    st = SourceTimes(m)
    n = len(m.text)
    starts = np.arange(n, dtype=float)
    ends = starts + 1
    j0, j1, s, e = st.times(0, n, starts, ends, last=True)
    assert (j0, j1) == (0, len("Pay $5 now"))
    d = "Pay $5 now".index("$")
    five = m.text.index("five")
    assert s[d] == starts[five]  # "$" starts when "five" starts
    assert e[d + 1] == ends[five + len("five dollars") - 1]
    assert np.all(np.diff(s) >= 0)


def test_identity_for_languages_without_a_normaliser():
    assert coverage("sw") == "none"
    m = normalize("Nina vitabu 3.", "sw")
    assert isinstance(m, MappedText) and m.text == "Nina vitabu 3."


def test_numbers_only_languages():
    assert coverage("nl") == "numbers"
    assert get_normalizer("nl")("Ik heb 3 katten.") == "Ik heb drie katten."
    assert get_normalizer("pl")("Mam 2 koty.") == "Mam dwa koty."
    assert all(coverage(lang) == "full" for lang in FULL_LANGUAGES)


def test_never_fails_on_odd_input():
    import random

    rng = random.Random(0)
    pieces = list("0123456789") * 3 + list(".,:/-+$€£%°&@#xkKMBIVXLC ") + ["st", "pm", " km", "Dr.", "www.", "1/2"]
    for lang in (*FULL_LANGUAGES, "nl", "ru"):
        n = get_normalizer(lang)
        for _ in range(300):
            s = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 20)))
            m = n.normalize(s)
            assert len(m.starts) == len(m.text) and (not m.text or m.ends.max() <= len(s))
