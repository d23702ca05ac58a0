"""The embedded voice changer: recognise, re-synthesise in the target voice, re-impose delivery.

No voice-conversion network ships offline, so this engine converts speech with the models
that do ship:

1. **Words with timestamps.** Whisper (faster-whisper; tiny.en for English-only requests,
   base otherwise) with its Silero VAD filter recognises the source word by word.
   Segments Whisper marks as probably-not-speech are dropped.
2. **Phrases.** Words are grouped into phrases at pauses (a gap of 0.3 s, or 0.15 s after
   sentence punctuation), at most 30 words each.
3. **Re-synthesis.** Each phrase is spoken by the target voice's TTS engine (Kokoro by
   default, any engine with character alignment works). When the rendering is far longer
   or shorter than the source phrase it is rendered again with the engine's speed set so
   the durations match, which keeps the time-stretch in step 4 small.
4. **Timing.** The engine's character alignment gives each word's span in the rendering;
   Whisper gives it in the source. A piecewise-linear warp through those word boundaries
   maps the source timeline onto the rendering, and TD-PSOLA (``prosody.psola``) lays the
   rendering onto the source timeline: every word starts and ends where it did.
5. **Pitch.** YIN tracks F0 in the source and the rendering. The source's contour,
   transposed by the ratio of the two voices' median F0 (so the target keeps its own
   register), becomes the target contour; PSOLA applies it in the same pass as the timing.
6. **Loudness and pauses.** The output's short-term level is pulled towards the source's
   (ratio of smoothed 30 ms RMS envelopes, -30..+6 dB), each phrase's level follows the
   source phrase's level relative to the whole recording, and everything between phrases
   is silence, so pauses stay where they were and last as long.

What carries over: words, timing, pauses, intonation, loudness movement. What does not:
the source's voice quality beyond F0 (breathiness, creak), non-speech sounds (laughs,
breaths), and words Whisper misrecognises. Output duration equals input duration.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from polyvox.audio import dsp
from polyvox.engines.manager import EngineManager
from polyvox.engines.tts.base import SynthesisRequest
from polyvox.engines.vc import prosody
from polyvox.engines.vc.base import Conversion, ConversionRequest, UnsupportedLanguageError, VCEngineInfo

logger = logging.getLogger(__name__)

INPUT_RATE = 16_000
LANGUAGES = frozenset({"en", "es", "fr", "hi", "it", "ja", "pt", "zh"})
_GAP_S = 0.3
_SENTENCE_GAP_S = 0.15
_MAX_WORDS = 30
_MARGIN_S = 0.05
_FIT_LO, _FIT_HI = 0.8, 1.25
_HOP_S = 0.005
_SENTENCE_END = re.compile(r"[.!?…。！？]$")


@dataclass(frozen=True)
class _Word:
    text: str
    start: float
    end: float


@dataclass
class _Phrase:
    words: list[_Word]
    next_start: float | None
    """Start of the first word after this phrase (None at the end)."""

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end


def group_phrases(words: Iterator[_Word]) -> Iterator[_Phrase]:
    """Group a word stream into phrases at pauses; each phrase knows where the next begins."""
    current: list[_Word] = []
    for w in words:
        if current:
            gap = w.start - current[-1].end
            ends_sentence = bool(_SENTENCE_END.search(current[-1].text.strip()))
            if gap >= _GAP_S or (ends_sentence and gap >= _SENTENCE_GAP_S) or len(current) >= _MAX_WORDS:
                yield _Phrase(current, w.start)
                current = []
        current.append(w)
    if current:
        yield _Phrase(current, None)


class ResynthVC:
    """ASR -> TTS -> prosody transfer (see module docstring)."""

    def __init__(self, engines: EngineManager, transcriber: Callable[[bool], object], *,
                 transfer_pitch: bool = True, transfer_loudness: bool = True) -> None:
        """``transcriber(english_only)`` returns a ``WhisperTranscriber`` (shared, lazily loaded).

        ``transfer_pitch`` / ``transfer_loudness`` switch steps 5 / 6 off (for ablations).
        """
        self.engines = engines
        self._transcriber = transcriber
        self.transfer_pitch = transfer_pitch
        self.transfer_loudness = transfer_loudness
        self.info = VCEngineInfo(name="resynth", input_rate=INPUT_RATE, target="tts_voice", languages=LANGUAGES,
                                 streams=True, deterministic=True)

    def load(self) -> None:
        """Nothing of its own: Whisper and the TTS engine load on first use."""

    # ------------------------------------------------------------------ conversion
    def convert(self, request: ConversionRequest) -> Conversion:
        if not request.target_voice or not request.tts_engine:
            raise ValueError("the re-synthesis voice changer needs a TTS voice as its target")
        src = np.asarray(request.source, dtype=np.float32).reshape(-1)
        if src.size == 0:
            raise ValueError("the source audio is empty")
        tts = self.engines.peek(request.tts_engine)
        out_rate = int(tts.info.sample_rate)
        n_out = round(len(src) / INPUT_RATE * out_rate)
        asr = self._transcriber(request.english_only)
        model = asr.load()
        language = request.language
        if request.english_only:
            language = "en"
        segments, info = model.transcribe(src, language=language, word_timestamps=True, vad_filter=True,
                                          beam_size=1, condition_on_previous_text=False)
        lang = (info.language or "en").lower()
        allowed = LANGUAGES & set(tts.info.languages)
        if lang not in allowed:
            raise UnsupportedLanguageError(
                f"The source speech is in language {lang!r}, which the {request.tts_engine} voice cannot speak "
                f"(it speaks: {', '.join(sorted(allowed))}).", lang)
        conv = Conversion(iter(()), out_rate, n_out, lang)
        conv._chunks = self._render(request, src, segments, lang, out_rate, n_out, conv)
        return conv

    def _words(self, segments, conv: Conversion) -> Iterator[_Word]:
        for seg in segments:
            if seg.no_speech_prob > 0.6 and seg.avg_logprob < -1.0:
                continue
            for w in seg.words or ():
                if not w.word.strip() or w.end <= w.start - 1e-3:
                    continue
                conv.words.append(w.word)
                yield _Word(w.word, float(w.start), float(max(w.end, w.start + 0.02)))

    def _render(self, req: ConversionRequest, src: np.ndarray, segments, lang: str, out_rate: int, n_out: int,
                conv: Conversion) -> Iterator[np.ndarray]:
        src_track = prosody.yin_f0(src, INPUT_RATE, hop_s=_HOP_S)
        src_env = prosody.envelope(src, INPUT_RATE, hop_s=_HOP_S)
        speech = src_env > max(1e-4, float(np.percentile(src_env, 95)) * 0.05)
        src_ref = float(np.median(src_env[speech])) if speech.any() else 1.0
        src_median_f0 = src_track.median()
        out = np.zeros(n_out + out_rate, dtype=np.float32)
        emitted = 0
        syn_medians: list[float] = []
        pace: list[float] = []
        for phrase in group_phrases(self._words(segments, conv)):
            try:
                pcm, at = self._phrase(req, lang, phrase, src_track, src_env, src_ref, src_median_f0, syn_medians,
                                       out_rate, pace)
            except ValueError as e:  # e.g. a "word" with no phonemes: leave the phrase silent
                logger.debug("phrase %r skipped: %s", [w.text for w in phrase.words], e)
                pcm, at = np.zeros(0, np.float32), 0
            a = max(0, at)
            b = min(len(out), at + len(pcm))
            if b > a:
                out[a:b] += pcm[a - at: b - at]
            # the next phrase's window starts at its first word minus the margin: all before is final
            safe = n_out if phrase.next_start is None else int((phrase.next_start - _MARGIN_S) * out_rate)
            safe = max(emitted, min(n_out, safe))
            if safe > emitted:
                yield out[emitted:safe].copy()
                emitted = safe
        if emitted < n_out:
            yield out[emitted:n_out].copy()

    # ------------------------------------------------------------------ one phrase
    def _synth(self, req: ConversionRequest, lang: str, text: str, speed: float):
        settings = replace(req.settings, speed=float(np.clip(speed, 0.5, 2.0)))
        with self.engines.acquire(req.tts_engine) as engine:
            return engine.synthesize(SynthesisRequest(text=text, voice=req.target_voice, language=lang,
                                                      settings=settings, seed=req.seed))

    def _phrase(self, req: ConversionRequest, lang: str, phrase: _Phrase, src_track: prosody.PitchTrack,
                src_env: np.ndarray, src_ref: float, src_median_f0: float, syn_medians: list[float],
                rate: int, pace: list[float]) -> tuple[np.ndarray, int]:
        words = phrase.words
        pieces, spans = [], []
        pos = 0
        for i, w in enumerate(words):
            t = w.text.strip()
            if i:
                pos += 1
            spans.append((pos, pos + len(t)))
            pieces.append(t)
            pos += len(t)
        text = " ".join(pieces)
        src_span = max(0.05, phrase.end - phrase.start)
        # the voice's pace (seconds per character at speed 1) from earlier phrases predicts this one's length,
        # so most phrases are rendered once at the right speed
        speed = 1.0
        if pace:
            predicted = float(np.median(pace)) * len(text) / src_span
            if not _FIT_LO <= predicted <= _FIT_HI:
                speed = float(np.clip(predicted, 0.5, 2.0))
        syn = self._synth(req, lang, text, speed)
        ws, we = _word_spans(syn.char_starts, syn.char_ends, spans)
        if we[-1] > ws[0]:
            pace.append((we[-1] - ws[0]) * speed / max(1, len(text)))
        ratio = (we[-1] - ws[0]) / src_span if we[-1] > ws[0] else 1.0
        if not _FIT_LO <= ratio <= _FIT_HI:
            speed = float(np.clip(speed * ratio, 0.5, 2.0))
            syn = self._synth(req, lang, text, speed)
            ws, we = _word_spans(syn.char_starts, syn.char_ends, spans)
        x = np.asarray(syn.audio, dtype=np.float32)
        syn_len = len(x) / rate

        # timing: word boundaries in the source -> word boundaries in the rendering
        a_out, a_in = [phrase.start - _MARGIN_S], [max(0.0, ws[0] - _MARGIN_S)]
        for w, s, e in zip(words, ws, we):
            a_out += [w.start, w.end]
            a_in += [s, e]
        a_out.append(phrase.end + _MARGIN_S)
        a_in.append(min(syn_len, we[-1] + _MARGIN_S))
        t0 = phrase.start - _MARGIN_S
        tmap_abs = prosody.piecewise_map(np.asarray(a_out), np.clip(a_in, 0.0, syn_len))
        n = round((phrase.end - phrase.start + 2 * _MARGIN_S) * rate)

        def tmap(t_rel: np.ndarray) -> np.ndarray:
            return tmap_abs(t_rel + t0)

        # pitch: the source contour, transposed into the target's register
        syn_track = prosody.yin_f0(x, rate, hop_s=_HOP_S)
        syn_med = syn_track.median()
        if syn_med > 0:
            syn_medians.append(syn_med)
        grid = np.arange(0, n / rate + _HOP_S, _HOP_S)
        ratio_grid = np.ones_like(grid)
        if self.transfer_pitch and syn_medians and src_median_f0 > 0:
            register = float(np.median(syn_medians)) / src_median_f0
            src_f0 = src_track.at(grid + t0)
            src_fill = _fill_within(src_f0)
            syn_f0 = prosody.interp_unvoiced(syn_track.f0)
            syn_at = np.interp(tmap(grid) * rate / syn_track.hop, np.arange(len(syn_f0)), syn_f0) \
                if syn_f0.size else np.zeros_like(grid)
            ok = (src_fill > 0) & (syn_at > 0)
            r = np.ones_like(grid)
            r[ok] = src_fill[ok] * register / syn_at[ok]
            logr = np.log(np.clip(r, 0.5, 2.0))
            logr = np.convolve(logr, np.ones(5) / 5, mode="same")
            ratio_grid = np.exp(logr)

        def pitch(t_rel: np.ndarray) -> np.ndarray:
            return np.interp(t_rel, grid, ratio_grid)

        y = prosody.psola(x, rate, syn_track, n, tmap, pitch)

        # loudness: the source's envelope movement, and its phrase level relative to the recording
        y_env = prosody.envelope(y, rate, hop_s=_HOP_S)
        s_env = src_env[np.clip(np.rint((np.arange(len(y_env)) * _HOP_S + t0) / _HOP_S).astype(int), 0,
                                len(src_env) - 1)] if len(src_env) else np.ones_like(y_env)
        s_speech = s_env[s_env > 0]
        y_speech = y_env[y_env > 0]
        if self.transfer_loudness and s_speech.size and y_speech.size:
            s_rel = _smooth(s_env, 8) / max(float(np.median(s_speech)), 1e-9)
            y_rel = _smooth(y_env, 8) / max(float(np.median(y_speech)), 1e-9)
            gain_db = 20 * np.log10(np.maximum(s_rel, 1e-6) / np.maximum(y_rel, 1e-6))
            gain_db = np.clip(gain_db, -14.0, 6.0)
            gain = 10 ** (_smooth(gain_db, 6) / 20)
            y = y * np.interp(np.arange(len(y)) / rate, np.arange(len(gain)) * _HOP_S, gain).astype(np.float32)
            phrase_level = float(np.median(s_speech)) / max(src_ref, 1e-9)
            target = dsp.loudness_lufs(y, rate)
            if target > dsp.LUFS_FLOOR:
                shift = float(np.clip(20 * np.log10(max(phrase_level, 1e-6)), -9.0, 6.0))
                y = dsp.match_loudness(y, rate, -20.0 + shift)
        y = dsp.fade_out(dsp.fade_in(y, rate, 5.0), rate, 5.0)
        return y.astype(np.float32), round(t0 * rate)


def _word_spans(starts: np.ndarray, ends: np.ndarray, spans: list[tuple[int, int]]) -> tuple[list[float], list[float]]:
    """Start/end time of each word from per-character times; monotonic, non-empty."""
    starts = np.asarray(starts, dtype=np.float64)
    ends = np.asarray(ends, dtype=np.float64)
    ws, we = [], []
    last = 0.0
    for a, b in spans:
        if b > a and b <= len(starts):
            s, e = float(np.min(starts[a:b])), float(np.max(ends[a:b]))
        else:
            s = e = last
        s = max(s, last)
        e = max(e, s + 0.01)
        ws.append(s)
        we.append(e)
        last = e
    return ws, we


def _fill_within(f0: np.ndarray) -> np.ndarray:
    """Interpolate unvoiced gaps between voiced frames (not before the first / after the last)."""
    v = f0 > 0
    if v.sum() < 2:
        return f0
    idx = np.flatnonzero(v)
    out = f0.copy()
    inner = np.arange(idx[0], idx[-1] + 1)
    out[inner] = np.exp(np.interp(inner, idx, np.log(f0[idx])))
    return out


def _smooth(x: np.ndarray, n: int) -> np.ndarray:
    if len(x) < 2:
        return x
    k = np.ones(2 * n + 1) / (2 * n + 1)
    return np.convolve(np.pad(x, n, mode="edge"), k, mode="valid")


__all__ = ["INPUT_RATE", "LANGUAGES", "ResynthVC", "group_phrases"]
