"""Signal processing that carries one utterance's delivery onto another: F0, time, level.

Three tools, all numpy/scipy, used by the embedded voice changer (``resynth.py``):

* :func:`yin_f0` -- a vectorised YIN pitch tracker (de Cheveigné & Kawahara 2002):
  cumulative-mean-normalised difference function computed with FFTs for every frame at
  once, absolute threshold with parabolic refinement, a voicing decision from the
  aperiodicity and the frame energy, then a 3-frame median that removes single-frame
  octave slips.
* :func:`psola` -- TD-PSOLA (pitch-synchronous overlap-add). Analysis marks sit one
  period apart on waveform peaks in voiced regions (every 5 ms elsewhere); synthesis
  marks are laid along the *output* timeline, each one picks the analysis grain nearest
  to ``time_map(t)`` and steps by that grain's period divided by ``pitch_ratio(t)``. One
  pass changes timing (any monotonic piecewise-linear warp) and pitch (any contour) while
  keeping the formants, i.e. the voice, of the input.
* :func:`envelope` -- a short-term RMS envelope, used to re-impose the source's loudness
  movement syllable by syllable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, signal

F0_MIN = 55.0
F0_MAX = 500.0
_UNVOICED_STEP_S = 0.005


@dataclass(frozen=True)
class PitchTrack:
    """F0 per frame; ``f0`` is 0 where unvoiced. Frame ``i`` is centred at ``i * hop / rate``."""

    f0: np.ndarray
    hop: int
    rate: int

    @property
    def times(self) -> np.ndarray:
        return np.arange(len(self.f0)) * self.hop / self.rate

    @property
    def voiced(self) -> np.ndarray:
        return self.f0 > 0

    def at(self, t: np.ndarray) -> np.ndarray:
        """F0 at arbitrary times (nearest frame; 0 when unvoiced or outside)."""
        idx = np.rint(np.asarray(t) * self.rate / self.hop).astype(np.int64)
        ok = (idx >= 0) & (idx < len(self.f0))
        out = np.zeros(idx.shape, dtype=np.float64)
        out[ok] = self.f0[idx[ok]]
        return out

    def median(self) -> float:
        v = self.f0[self.f0 > 0]
        return float(np.median(v)) if v.size else 0.0


def yin_f0(x: np.ndarray, rate: int, *, hop_s: float = 0.005, fmin: float = F0_MIN, fmax: float = F0_MAX,
           threshold: float = 0.15, silence_db: float = -45.0) -> PitchTrack:
    """Pitch of ``x`` every ``hop_s`` seconds (YIN; see module docstring)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    hop = max(1, round(hop_s * rate))
    tau_max = int(np.ceil(rate / fmin))
    tau_min = max(2, int(np.floor(rate / fmax)))
    win = max(tau_max, int(0.025 * rate))
    n_frames = int(np.ceil(len(x) / hop)) if len(x) else 0
    if n_frames == 0:
        return PitchTrack(np.zeros(0), hop, rate)
    span = win + tau_max
    pad = np.concatenate([np.zeros(span // 2), x, np.zeros(span + hop)])
    starts = np.arange(n_frames) * hop
    idx = starts[:, None] + np.arange(span)[None, :]
    frames = pad[idx]  # (n, span)
    nfft = 1 << int(np.ceil(np.log2(2 * span)))
    spec_full = np.fft.rfft(frames, nfft)
    spec_win = np.fft.rfft(frames[:, :win], nfft)
    acf = np.fft.irfft(spec_full * np.conj(spec_win), nfft)[:, : tau_max + 1]  # sum x[j] x[j+tau], j < win
    sq = np.cumsum(frames * frames, axis=1)
    sq = np.concatenate([np.zeros((n_frames, 1)), sq], axis=1)
    e0 = sq[:, win][:, None]
    taus = np.arange(tau_max + 1)
    e_tau = sq[:, taus + win] - sq[:, taus]
    d = np.maximum(e0 + e_tau - 2.0 * acf, 0.0)
    d[:, 0] = 0.0
    cum = np.cumsum(d[:, 1:], axis=1) / np.arange(1, tau_max + 1)[None, :]
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] / np.maximum(cum, 1e-12)

    region = cmnd[:, tau_min: tau_max]
    below = region < threshold
    # first dip under the threshold, then walk down to its local minimum
    first = np.where(below.any(axis=1), below.argmax(axis=1), region.argmin(axis=1))
    best = first.copy()
    for _ in range(int(rate / fmin)):  # bounded descent; vectorised over frames
        nxt = np.minimum(best + 1, region.shape[1] - 1)
        step = region[np.arange(n_frames), nxt] < region[np.arange(n_frames), best]
        if not step.any():
            break
        best = np.where(step, nxt, best)
    tau = best + tau_min
    rows = np.arange(n_frames)
    left = cmnd[rows, np.maximum(tau - 1, 1)]
    mid = cmnd[rows, tau]
    right = cmnd[rows, np.minimum(tau + 1, tau_max)]
    denom = left - 2 * mid + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0.0)
    tau_f = tau + np.clip(shift, -1, 1)
    aperiodicity = mid
    energy_db = 10 * np.log10(np.maximum(e0[:, 0] / win, 1e-12))
    voiced = (aperiodicity < max(threshold * 2.0, 0.3)) & (energy_db > silence_db)
    f0 = np.where(voiced, rate / np.maximum(tau_f, 1e-6), 0.0)
    f0 = _clean(f0)
    return PitchTrack(f0, hop, rate)


def _clean(f0: np.ndarray) -> np.ndarray:
    """Median-smooth voiced runs and drop voiced islands shorter than 3 frames."""
    voiced = f0 > 0
    if not voiced.any():
        return f0
    lab, n = ndimage.label(voiced)
    out = f0.copy()
    for k in range(1, n + 1):
        sl = np.flatnonzero(lab == k)
        if sl.size < 3:
            out[sl] = 0.0
            continue
        seg = out[sl]
        med = ndimage.median_filter(seg, size=3, mode="nearest")
        # octave slips: a frame an octave away from its neighbourhood takes the median
        ratio = seg / np.maximum(med, 1e-6)
        slip = (ratio > 1.7) | (ratio < 0.6)
        seg = np.where(slip, med, seg)
        out[sl] = seg
    return out


def envelope(x: np.ndarray, rate: int, *, hop_s: float = 0.005, win_s: float = 0.03) -> np.ndarray:
    """RMS envelope sampled every ``hop_s`` (frame ``i`` centred at ``i * hop``)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    hop = max(1, round(hop_s * rate))
    win = max(1, round(win_s * rate))
    power = ndimage.uniform_filter1d(x * x, size=win, mode="constant")
    return np.sqrt(np.maximum(power[::hop], 0.0))


def interp_unvoiced(f0: np.ndarray) -> np.ndarray:
    """Fill unvoiced frames by log-linear interpolation between voiced neighbours (0 if none)."""
    v = f0 > 0
    if v.sum() < 2:
        return np.where(v, f0, float(f0[v][0]) if v.any() else 0.0)
    idx = np.arange(len(f0))
    return np.exp(np.interp(idx, idx[v], np.log(f0[v])))


# -------------------------------------------------------------------------------- PSOLA
def pitch_marks(x: np.ndarray, track: PitchTrack) -> tuple[np.ndarray, np.ndarray]:
    """Analysis marks (sample positions) and the local period at each (samples).

    Voiced runs: one mark per period, snapped to the largest peak of the low-passed
    signal near the predicted position, so grains stay aligned with the glottal cycle.
    Elsewhere: a mark every 5 ms with a 5 ms pseudo-period.
    """
    rate = track.rate
    n = len(x)
    lp = signal.sosfiltfilt(signal.butter(2, 900, "low", fs=rate, output="sos"), x) if n > 64 else x
    step_uv = max(8, int(_UNVOICED_STEP_S * rate))
    marks: list[int] = []
    periods: list[int] = []
    t = 0
    while t < n:
        f = track.at(np.array([t / rate]))[0]
        if f > 0:
            p = round(rate / f)
            lo, hi = max(0, t - p // 4), min(n, t + p // 4 + 1)
            if marks and hi > lo:
                t = lo + int(np.argmax(lp[lo:hi]))
            elif hi > lo:  # first mark of a voiced run: strongest peak within one period
                hi = min(n, t + p)
                t = t + int(np.argmax(lp[t:hi])) if hi > t else t
            if marks and t <= marks[-1]:
                t = marks[-1] + max(1, p // 2)
            if t >= n:
                break
            marks.append(t)
            periods.append(p)
            t += p
        else:
            marks.append(t)
            periods.append(step_uv)
            t += step_uv
    return np.asarray(marks, dtype=np.int64), np.asarray(periods, dtype=np.int64)


def psola(x: np.ndarray, rate: int, track: PitchTrack, out_len: int, time_map, pitch_ratio,
          voiced_out=None) -> np.ndarray:
    """Re-time and re-pitch ``x`` (see module docstring).

    ``time_map(t_out) -> t_in`` (seconds, vectorised, monotonic) and ``pitch_ratio(t_out)``
    (>1 raises pitch) are callables on output times. ``voiced_out(t_out)`` may say where
    pitch may change at all (default: where the input is voiced).
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    out = np.zeros(out_len + rate // 10, dtype=np.float64)
    if len(x) == 0 or out_len <= 0:
        return out[:out_len].astype(np.float32)
    marks, periods = pitch_marks(x, track)
    if marks.size == 0:
        return out[:out_len].astype(np.float32)
    voiced_in = track.at(marks / rate) > 0
    windows: dict[int, np.ndarray] = {}
    t_out = 0.0
    guard = 0
    while t_out < out_len and guard < 4 * out_len:
        guard += 1
        t_in = float(time_map(np.array([t_out / rate]))[0]) * rate
        k = int(np.searchsorted(marks, t_in))
        if k >= len(marks) or (k > 0 and abs(marks[k - 1] - t_in) <= abs(marks[k] - t_in)):
            k -= 1
        k = max(0, min(k, len(marks) - 1))
        m, p = int(marks[k]), int(periods[k])
        ratio = 1.0
        if voiced_in[k] and (voiced_out is None or voiced_out(np.array([t_out / rate]))[0]):
            ratio = float(np.clip(pitch_ratio(np.array([t_out / rate]))[0], 0.5, 2.0))
        step = max(1.0, p / ratio)
        w = windows.get(p)
        if w is None:
            w = windows[p] = np.hanning(2 * p + 1)
        a, b = m - p, m + p + 1
        grain = np.zeros(2 * p + 1)
        sa, sb = max(0, a), min(len(x), b)
        if sb > sa:
            grain[sa - a: sb - a] = x[sa:sb]
        grain *= w * (step / p)
        c = round(t_out)
        oa, ob = c - p, c + p + 1
        ga = max(0, -oa)
        oa = max(0, oa)
        ob = min(len(out), ob)
        if ob > oa:
            out[oa:ob] += grain[ga: ga + (ob - oa)]
        t_out += step
    return out[:out_len].astype(np.float32)


def piecewise_map(anchors_out: np.ndarray, anchors_in: np.ndarray):
    """A monotonic piecewise-linear ``t_out -> t_in`` through the anchor pairs."""
    ao = np.asarray(anchors_out, dtype=np.float64)
    ai = np.maximum.accumulate(np.asarray(anchors_in, dtype=np.float64))
    order = np.argsort(ao, kind="stable")
    ao, ai = ao[order], ai[order]
    keep = np.concatenate([[True], np.diff(ao) > 1e-4])
    ao, ai = ao[keep], ai[keep]

    def f(t: np.ndarray) -> np.ndarray:
        return np.interp(t, ao, ai)

    return f


__all__ = ["PitchTrack", "envelope", "interp_unvoiced", "piecewise_map", "pitch_marks", "psola", "yin_f0"]
