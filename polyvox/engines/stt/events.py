"""Audio-event tagging from signal features: music, crowd noise and other noise between the words.

No audio-event classifier ships in a package that runs offline here (PANNs, YAMNet, VGGish,
E-PANNs and inaSpeechSegmenter wheels all download their weights at run time), so this is a
small, explainable detector over a spectrogram (16 kHz, 32 ms Hann frames, 10 ms hop,
100 Hz - 6 kHz) of the stretches where Whisper found no words and Silero VAD no speech
(the caller passes both as ``speech``):

* **tonal persistence** ``pers(k)``: the spectral fine structure (log spectrum minus its
  9-bin median, i.e. harmonic peaks without the envelope) correlated with itself ``k``
  frames later. Held notes keep their peaks for hundreds of milliseconds (music: 0.15-0.5 at
  400 ms); speech glides and noise has no stable peaks (both below 0.08).
* **spectral flatness**: noise-like sounds (rain, typing, dishes, fans, engines: 0.2-0.5)
  against pitched ones (speech, music, voices in a crowd: below 0.1).
* **level dynamics** (90th - 10th percentile of frame energy): speech and single sounds
  come and go (25-35 dB); a crowd roars on (below 15 dB).

Each 1.5 s window (0.5 s hop) inside a gap of at least ``min_gap`` seconds is labelled
``music``, ``noise``, ``crowd`` or nothing; windows quieter than the recording's own
background (its 5th-percentile frame level + 10 dB) or than -55 dBFS are never events, so
pauses, room tone and a steady noise floor under the whole recording are not tagged. Labels
are smoothed with a 3-window mode filter, runs of one label become events, and each event's
ends are trimmed to where the sound rises above the background. Figures: docs/speech-to-text.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000
_N_FFT, _HOP = 512, 160
LABELS = {"music": "(music)", "crowd": "(crowd noise)", "noise": "(noise)"}
"""Detector class -> the ``audio_event`` text written into the transcript (Scribe's style)."""


@dataclass(frozen=True)
class AudioEvent:
    kind: str
    start: float
    end: float

    @property
    def text(self) -> str:
        return LABELS[self.kind]


@dataclass(frozen=True)
class EventOptions:
    window: float = 1.5
    hop: float = 0.5
    min_gap: float = 1.0
    """Shorter stretches between words are pauses, not events."""
    min_event: float = 1.0
    margin: float = 0.15
    """Seconds kept clear around each word (Whisper's word edges are approximate)."""
    above_background_db: float = 10.0
    floor_db: float = -55.0
    music_persistence: float = 0.15
    noise_flatness: float = 0.15
    crowd_dynamics_db: float = 15.0
    crowd_persistence: float = 0.15


def _power(x: np.ndarray) -> np.ndarray:
    if x.shape[0] < _N_FFT:
        x = np.pad(x, (0, _N_FFT - x.shape[0]))
    n = 1 + (x.shape[0] - _N_FFT) // _HOP
    idx = np.arange(_N_FFT)[None, :] + _HOP * np.arange(n)[:, None]
    return np.abs(np.fft.rfft(x[idx] * np.hanning(_N_FFT).astype(np.float32), axis=1)) ** 2 + 1e-10


_FREQS = np.fft.rfftfreq(_N_FFT, 1 / SAMPLE_RATE)
_BAND = (_FREQS >= 100) & (_FREQS <= 6000)


def window_features(x: np.ndarray) -> dict[str, float]:
    """The features of one window of 16 kHz mono audio (see the module docstring)."""
    from scipy.ndimage import median_filter

    p = _power(np.asarray(x, dtype=np.float32))
    pb = p[:, _BAND]
    db = 10 * np.log10(pb)
    fine = db - median_filter(db, size=(1, 9))
    fine -= fine.mean(axis=1, keepdims=True)
    fine /= np.linalg.norm(fine, axis=1, keepdims=True) + 1e-9

    def persistence(k: int) -> float:
        return float(np.mean(np.sum(fine[:-k] * fine[k:], axis=1))) if fine.shape[0] > k else 0.0

    frame_db = 10 * np.log10(p.mean(axis=1))
    return {
        "level_db": float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-12)),
        "flatness": float(np.mean(np.exp(np.mean(np.log(pb), axis=1)) / np.mean(pb, axis=1))),
        "pers5": persistence(5),
        "pers40": persistence(40),
        "dynamics_db": float(np.percentile(frame_db, 90) - np.percentile(frame_db, 10)),
    }


def classify(f: dict[str, float], background_db: float, opt: EventOptions = EventOptions()) -> str | None:
    if f["level_db"] < max(opt.floor_db, background_db + opt.above_background_db):
        return None
    if f["pers40"] >= opt.music_persistence:
        return "music"
    if f["flatness"] >= opt.noise_flatness:
        return "noise"
    if f["dynamics_db"] < opt.crowd_dynamics_db and f["pers5"] >= opt.crowd_persistence:
        return "crowd"
    return None


def background_level(audio: np.ndarray) -> float:
    """The recording's background: the 5th percentile of its 100 ms frame levels, in dBFS."""
    n = audio.shape[0] // 1600
    if n == 0:
        return -120.0
    frames = audio[: n * 1600].reshape(n, 1600).astype(np.float64)
    return float(np.percentile(10 * np.log10(np.mean(frames**2, axis=1) + 1e-12), 5))


def _gaps(spans: list[tuple[float, float]], total: float, opt: EventOptions) -> list[tuple[float, float]]:
    out, t = [], 0.0
    for a, b in sorted(spans):
        if a - opt.margin - t >= opt.min_gap:
            out.append((t, a - opt.margin))
        t = max(t, b + opt.margin)
    if total - t >= opt.min_gap:
        out.append((t, total))
    return out


def _mode3(labels: list[str | None]) -> list[str | None]:
    if len(labels) < 3:
        return labels
    out = list(labels)
    for i in range(1, len(labels) - 1):
        (top, count), = Counter(labels[i - 1:i + 2]).most_common(1)
        if count >= 2:
            out[i] = top
    return out


def _trim(audio: np.ndarray, a: float, b: float, threshold_db: float) -> tuple[float, float] | None:
    """[a, b] shrunk to the first and last 50 ms frame louder than ``threshold_db``."""
    i0, i1 = int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)
    step = SAMPLE_RATE // 20
    n = (i1 - i0) // step
    if n <= 0:
        return None
    frames = audio[i0:i0 + n * step].reshape(n, step).astype(np.float64)
    loud = np.flatnonzero(10 * np.log10(np.mean(frames**2, axis=1) + 1e-12) >= threshold_db)
    if loud.size == 0:
        return None
    return a + loud[0] * step / SAMPLE_RATE, a + (loud[-1] + 1) * step / SAMPLE_RATE


def detect_events(audio: np.ndarray, speech: list[tuple[float, float]],
                  options: EventOptions | None = None) -> list[AudioEvent]:
    """Events in the stretches of 16 kHz mono ``audio`` outside the ``speech`` spans (seconds)."""
    opt = options or EventOptions()
    audio = np.asarray(audio, dtype=np.float32)
    total = audio.shape[0] / SAMPLE_RATE
    background = background_level(audio)
    threshold = max(opt.floor_db, background + opt.above_background_db)
    events: list[AudioEvent] = []
    for g0, g1 in _gaps(speech, total, opt):
        if g1 - g0 <= opt.window:
            starts = [g0]
        else:
            starts = list(np.arange(g0, g1 - opt.window + 1e-6, opt.hop))
            if starts[-1] + opt.window < g1 - 1e-6:
                starts.append(g1 - opt.window)
        spans = [(s, min(g1, s + opt.window)) for s in starts]
        labels = _mode3([classify(window_features(audio[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]),
                                  background, opt) for a, b in spans])
        i = 0
        while i < len(spans):
            j = i
            while j + 1 < len(spans) and labels[j + 1] == labels[i]:
                j += 1
            if labels[i] is not None:  # a run reaches halfway to the next window, or the gap's edge
                a = g0 if i == 0 else (spans[i][0] + spans[i][1] - opt.hop) / 2
                b = g1 if j == len(spans) - 1 else (spans[j][0] + spans[j][1] + opt.hop) / 2
                trimmed = _trim(audio, a, b, threshold)
                if trimmed and trimmed[1] - trimmed[0] >= opt.min_event:
                    events.append(AudioEvent(labels[i], round(float(trimmed[0]), 3), round(float(trimmed[1]), 3)))
            i = j + 1
    return events


__all__ = ["LABELS", "AudioEvent", "EventOptions", "background_level", "classify", "detect_events",
           "window_features"]
