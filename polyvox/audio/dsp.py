"""Small numpy DSP helpers for stitching synthesized segments together.

Long-form synthesis renders text in segments (sentences, chunks, speakers);
joining them naively produces clicks at seams, uneven loudness between
segments and engine-dependent leading/trailing silence.  These helpers are the
building blocks the synthesis services use to fix that.  All functions take
float32 mono arrays in [-1, 1], never modify their input, and return float32.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pyloudnorm
import soxr
from scipy import ndimage, signal

logger = logging.getLogger(__name__)

SILENCE_FLOOR_DB = -120.0
"""Returned by :func:`rms_db` for digital silence instead of ``-inf``."""
LUFS_FLOOR = -70.0
"""BS.1770 absolute gate: anything quieter is treated as silence."""
_MIN_METER_SECONDS = 0.05
"""Below this, K-weighted gating is meaningless; fall back to plain RMS."""


def _f32(pcm: np.ndarray) -> np.ndarray:
    return np.asarray(pcm, dtype=np.float32).reshape(-1)


def _raised_cosine(n: int) -> np.ndarray:
    """Rising half-cosine window of n samples (0 -> ~1), smooth at both ends."""
    return (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).astype(np.float32)


def fade_in(pcm: np.ndarray, rate: int, ms: float) -> np.ndarray:
    """Raised-cosine fade-in over the first ``ms`` milliseconds."""
    out = _f32(pcm).copy()
    n = min(out.shape[0], int(round(rate * ms / 1000.0)))
    if n > 0:
        out[:n] *= _raised_cosine(n)
    return out


def fade_out(pcm: np.ndarray, rate: int, ms: float) -> np.ndarray:
    """Raised-cosine fade-out over the last ``ms`` milliseconds."""
    out = _f32(pcm).copy()
    n = min(out.shape[0], int(round(rate * ms / 1000.0)))
    if n > 0:
        out[out.shape[0] - n :] *= _raised_cosine(n)[::-1]
    return out


def silence(seconds: float, rate: int) -> np.ndarray:
    """Digital silence, e.g. for ``<break time="..."/>`` or inter-segment gaps."""
    return np.zeros(max(0, int(round(seconds * rate))), dtype=np.float32)


def rms_db(pcm: np.ndarray) -> float:
    """RMS level in dBFS (a full-scale sine is about -3 dB); silence -> -120."""
    x = _f32(pcm).astype(np.float64)
    if x.shape[0] == 0:
        return SILENCE_FLOOR_DB
    rms = math.sqrt(float(np.mean(x * x)))
    return max(SILENCE_FLOOR_DB, 20.0 * math.log10(rms)) if rms > 0 else SILENCE_FLOOR_DB


def trim_silence(
    pcm: np.ndarray, rate: int, threshold_db: float = -45.0, pad_ms: float = 20.0
) -> tuple[np.ndarray, int]:
    """Strip leading/trailing audio quieter than ``threshold_db`` (5 ms RMS frames).

    Keeps ``pad_ms`` of context on each side so consonant onsets survive.
    Returns ``(trimmed, lead_samples_removed)``; the lead count lets callers
    shift word timestamps.  An all-silent clip yields an empty array.
    """
    x = _f32(pcm)
    hop = max(1, int(rate * 0.005))
    n_frames = x.shape[0] // hop + (1 if x.shape[0] % hop else 0)
    if n_frames == 0:
        return x.copy(), 0
    padded = np.zeros(n_frames * hop, dtype=np.float64)
    padded[: x.shape[0]] = x
    frame_rms = np.sqrt(np.mean(padded.reshape(n_frames, hop) ** 2, axis=1))
    active = np.flatnonzero(frame_rms > 10.0 ** (threshold_db / 20.0))
    if active.size == 0:
        return x[:0].copy(), x.shape[0]
    pad = int(round(rate * pad_ms / 1000.0))
    start = max(0, int(active[0]) * hop - pad)
    end = min(x.shape[0], (int(active[-1]) + 1) * hop + pad)
    return x[start:end].copy(), start


def loudness_lufs(pcm: np.ndarray, rate: int) -> float:
    """Integrated loudness (BS.1770 via pyloudnorm), floored at -70 LUFS.

    Clips shorter than the 400 ms gating block are metered with a block as long
    as the clip; clips under 50 ms fall back to plain RMS dBFS.
    """
    x = _f32(pcm).astype(np.float64)
    seconds = x.shape[0] / rate if rate > 0 else 0.0
    if seconds < _MIN_METER_SECONDS:
        return max(LUFS_FLOOR, rms_db(x))
    block = min(0.4, math.floor(seconds * 1000.0) / 1000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyloudnorm warns about clipping
        value = pyloudnorm.Meter(rate, block_size=block).integrated_loudness(x)
    return max(LUFS_FLOOR, float(value)) if math.isfinite(value) else LUFS_FLOOR


def peak_limit(pcm: np.ndarray, ceiling: float = 0.97, rate: int = 24000) -> np.ndarray:
    """Look-ahead gain limiter: peaks end at or below ``ceiling`` without hard clipping.

    The per-sample gain needed is min-filtered over +-10 ms (so the gain eases
    down before a peak instead of slamming) and then smoothed by a +-5 ms
    moving average; as the average is narrower than the hold, the smoothed
    gain never exceeds the gain a sample needs.
    Audio that never exceeds ``ceiling`` is returned unchanged.
    """
    x = _f32(pcm)
    peak = float(np.max(np.abs(x))) if x.shape[0] else 0.0
    if peak <= ceiling:
        return x.copy()
    radius = max(1, int(rate * 0.005))
    need = np.minimum(1.0, ceiling / np.maximum(np.abs(x), 1e-12))
    held = ndimage.minimum_filter1d(need, size=4 * radius + 1, mode="nearest")
    smooth = ndimage.uniform_filter1d(held, size=2 * radius + 1, mode="nearest")
    y = x * smooth.astype(np.float32)
    # Rounding guard only; by construction |y| <= ceiling already.
    return np.clip(y, -ceiling, ceiling).astype(np.float32)


def match_loudness(
    pcm: np.ndarray, rate: int, target_lufs: float, max_gain_db: float = 12.0
) -> np.ndarray:
    """Gain a segment towards ``target_lufs`` (bounded) and soft-limit the peaks.

    The gain bound stops near-silent segments (breaths, pauses) being blown up
    into noise; silent input is returned unchanged.
    """
    x = _f32(pcm)
    current = loudness_lufs(x, rate)
    if current <= LUFS_FLOOR:
        return x.copy()
    gain_db = float(np.clip(target_lufs - current, -max_gain_db, max_gain_db))
    return peak_limit(x * np.float32(10.0 ** (gain_db / 20.0)), rate=rate)


def resample(pcm: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """One-shot high-quality resample (soxr HQ); identity when rates match."""
    x = _f32(pcm)
    if from_rate == to_rate or x.shape[0] == 0:
        return x.copy()
    return soxr.resample(x, from_rate, to_rate, quality="HQ").astype(np.float32, copy=False)


def presence_boost(
    pcm: np.ndarray, rate: int, gain_db: float, freq_hz: float = 3500.0, q: float = 0.8
) -> np.ndarray:
    """Gentle peaking EQ in the 2-5 kHz "presence" band (RBJ biquad).

    Used to brighten muffled voices; ``gain_db`` may be negative to soften.
    """
    x = _f32(pcm)
    if gain_db == 0 or x.shape[0] == 0:
        return x.copy()
    f0 = min(freq_hz, 0.45 * rate)
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * f0 / rate
    alpha = math.sin(w0) / (2.0 * q)
    b = np.array([1 + alpha * a, -2 * math.cos(w0), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * math.cos(w0), 1 - alpha / a])
    return signal.lfilter(b / den[0], den / den[0], x).astype(np.float32)


def detect_click(pcm: np.ndarray, rate: int) -> float:
    """Largest sample-to-sample jump divided by the local (20 ms) RMS.

    A 220 Hz tone scores about 0.1 at 24 kHz; an audible seam discontinuity
    scores well above 1.  The RMS has a -60 dBFS floor so near-silence with
    tiny jumps does not read as a click.
    """
    x = _f32(pcm).astype(np.float64)
    if x.shape[0] < 2:
        return 0.0
    jump = np.abs(np.diff(x))
    window = max(1, int(rate * 0.02))
    local_rms = np.sqrt(ndimage.uniform_filter1d(x * x, size=window, mode="nearest"))
    local = np.maximum(np.maximum(local_rms[1:], local_rms[:-1]), 1e-3)
    return float(np.max(jump / local))
