"""What a voice sounds like, as numbers: speaker embedding, pitch, pace, spectral tilt.

The voice lab compares synthesized speech with a reference (cloning) or with a target
described in words (design) through these measures. All work on 16 kHz mono float32.

* ``embedding`` -- the packaged d-vector (``engines.stt.diarize.SpeakerEmbedder``), unit
  length; cosine between two is the speaker similarity used throughout.
* ``f0_median`` / ``f0_p10`` / ``f0_p90`` -- Hz, from YIN over voiced frames.
* ``rate`` -- syllables per second of speaking time: peaks of the 300-2500 Hz energy
  envelope (syllable nuclei) that are voiced and stand out from their surroundings, over
  the time between the first and last nucleus minus pauses longer than 0.3 s.
  Absolute values are rough (about +-15 %); comparisons between two clips are reliable.
* ``active_seconds`` -- speech time without pauses, for comparing the pace of two
  renderings of the same text.
* ``tilt`` -- slope of the long-term average spectrum of voiced frames, dB per octave
  between 150 Hz and 5 kHz; breathy/soft voices are steeper (more negative), pressed,
  bright voices flatter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import signal

from polyvox.engines.vc import prosody

RATE = 16_000
_HOP = 0.01


@dataclass(frozen=True)
class VoiceProfile:
    embedding: np.ndarray
    f0_median: float
    f0_p10: float
    f0_p90: float
    rate: float
    tilt: float
    seconds: float

    @property
    def f0_range_semitones(self) -> float:
        if self.f0_p10 <= 0:
            return 0.0
        return float(12 * np.log2(self.f0_p90 / self.f0_p10))

    def similarity(self, other: VoiceProfile | np.ndarray) -> float:
        e = other.embedding if isinstance(other, VoiceProfile) else other
        return float(np.dot(self.embedding, e))


def pitch_stats(x: np.ndarray) -> tuple[float, float, float]:
    track = prosody.yin_f0(x, RATE, hop_s=_HOP)
    v = track.f0[track.f0 > 0]
    if v.size < 5:
        return 0.0, 0.0, 0.0
    p10, p50, p90 = np.percentile(v, [10, 50, 90])
    return float(p50), float(p10), float(p90)


def _envelope_db(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    sos = signal.butter(4, [lo, hi], "bandpass", fs=RATE, output="sos")
    y = signal.sosfiltfilt(sos, x)
    hop = int(_HOP * RATE)
    n = len(y) // hop
    if n == 0:
        return np.zeros(0)
    e = np.sqrt(np.mean(y[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    e = np.convolve(e, np.hanning(5) / np.hanning(5).sum(), mode="same")
    return 20 * np.log10(e + 1e-9)


def speaking_rate(x: np.ndarray) -> float:
    """Syllable nuclei per second of speaking time (see module docstring)."""
    db = _envelope_db(x, 300.0, 2500.0)
    if db.size < 10:
        return 0.0
    floor = np.percentile(db, 95) - 30.0
    track = prosody.yin_f0(x, RATE, hop_s=_HOP)
    voiced = np.zeros(len(db), dtype=bool)
    m = min(len(db), len(track.f0))
    voiced[:m] = track.f0[:m] > 0
    peaks, _ = signal.find_peaks(db, prominence=3.0, distance=int(0.08 / _HOP), height=floor)
    peaks = peaks[voiced[peaks]]
    if peaks.size < 2:
        return 0.0
    gaps = np.diff(peaks) * _HOP
    speaking = float(np.sum(np.minimum(gaps, 0.3)))
    return float((peaks.size - 1) / max(speaking, 1e-3))


def active_seconds(x: np.ndarray) -> float:
    """Seconds of 10 ms frames within 35 dB of the loud ones (the 95th percentile): speech without
    its pauses. Two clips of the *same text* compare their pace by it more reliably than by
    ``speaking_rate``, whose syllable count saturates on fast or deep voices."""
    hop = int(_HOP * RATE)
    n = len(x) // hop
    if n == 0:
        return 0.0
    e = 10 * np.log10(np.mean(np.asarray(x[: n * hop], dtype=np.float64).reshape(n, hop) ** 2, axis=1) + 1e-12)
    return float(np.sum(e > np.percentile(e, 95) - 35.0)) * _HOP


def spectral_tilt(x: np.ndarray) -> float:
    """dB per octave of the voiced long-term spectrum, 150 Hz - 5 kHz."""
    f, _, z = signal.stft(x, fs=RATE, nperseg=512, noverlap=512 - 160)
    power = np.abs(z) ** 2
    track = prosody.yin_f0(x, RATE, hop_s=160 / RATE)
    n = min(power.shape[1], len(track.f0))
    voiced = track.f0[:n] > 0
    if voiced.sum() < 5:
        return 0.0
    ltas = power[:, :n][:, voiced].mean(axis=1)
    band = (f >= 150) & (f <= 5000)
    # average within third-octave bands so the many high bins don't dominate the fit
    edges = 150 * 2 ** (np.arange(0, np.log2(5000 / 150) + 1e-9, 1 / 3))
    centres, levels = [], []
    for a, b in itertools.pairwise(edges):
        sel = band & (f >= a) & (f < b)
        if sel.any():
            centres.append(np.log2(np.sqrt(a * b)))
            levels.append(10 * np.log10(ltas[sel].mean() + 1e-20))
    if len(centres) < 3:
        return 0.0
    return float(np.polyfit(centres, levels, 1)[0])


def profile(x: np.ndarray, embedder) -> VoiceProfile:
    """All measures of 16 kHz mono ``x``; ``embedder`` is a ``SpeakerEmbedder``."""
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    f0, p10, p90 = pitch_stats(x)
    return VoiceProfile(embedding=embedder.embed(x), f0_median=f0, f0_p10=p10, f0_p90=p90,
                        rate=speaking_rate(x), tilt=spectral_tilt(x), seconds=len(x) / RATE)


def mean_embedding(embeddings: np.ndarray) -> np.ndarray:
    v = np.asarray(embeddings, dtype=np.float64).mean(axis=0)
    return (v / (np.linalg.norm(v) + 1e-12)).astype(np.float32)


__all__ = ["RATE", "VoiceProfile", "active_seconds", "mean_embedding", "pitch_stats", "profile", "speaking_rate",
           "spectral_tilt"]
