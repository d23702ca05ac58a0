"""Synthesis primitives for the procedural sound designer: sources, envelopes, filters, space.

Everything is vectorised numpy/scipy on float64 arrays (mono ``(n,)`` or stereo ``(n, 2)``);
nothing here loops per sample in Python. Randomness always comes from a passed-in
``numpy.random.Generator`` so a seed reproduces a sound exactly.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

RATE = 44_100


# ------------------------------------------------------------------------------ sources
def noise(n: int, rng: np.random.Generator, color: str = "white") -> np.ndarray:
    """Unit-RMS noise; ``pink`` (-3 dB/oct), ``brown`` (-6 dB/oct), ``blue`` (+3 dB/oct) by FFT shaping."""
    x = rng.standard_normal(max(n, 1))
    if color != "white" and n > 1:
        spec = np.fft.rfft(x)
        f = np.fft.rfftfreq(n)
        f[0] = f[1]
        slope = {"pink": -0.5, "brown": -1.0, "blue": 0.5}.get(color, 0.0)
        spec *= f ** slope
        spec[0] = 0.0
        x = np.fft.irfft(spec, n)
    x = x[:n]
    return x / (np.sqrt(np.mean(x * x)) + 1e-12)


def phase(freq: np.ndarray | float, n: int, rate: int = RATE, start: float = 0.0) -> np.ndarray:
    """Running phase in cycles for a (possibly time-varying) frequency."""
    f = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    return start + np.cumsum(f) / rate


def osc(freq: np.ndarray | float, n: int, shape: str = "sine", rate: int = RATE, start: float = 0.0) -> np.ndarray:
    """sine / saw / square / triangle; saw and square are polyBLEP band-limited."""
    f = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    ph = phase(f, n, rate, start)
    if shape == "sine":
        return np.sin(2 * np.pi * ph)
    t = ph % 1.0
    dt = np.clip(f / rate, 1e-6, 0.5)
    if shape == "triangle":
        return 2 * np.abs(2 * t - 1) - 1
    if shape == "square":
        sq = np.where(t < 0.5, 1.0, -1.0)
        return sq + _blep(t, dt) - _blep((t + 0.5) % 1.0, dt)
    return 2 * t - 1 - _blep(t, dt)  # saw


def _blep(t: np.ndarray, dt: np.ndarray) -> np.ndarray:
    out = np.zeros_like(t)
    a = t < dt
    x = t[a] / dt[a]
    out[a] = x + x - x * x - 1
    b = t > 1 - dt
    x = (t[b] - 1) / dt[b]
    out[b] = x * x + x + x + 1
    return out


def supersaw(freq: float, n: int, rng: np.random.Generator, voices: int = 5, detune: float = 0.012,
             rate: int = RATE) -> np.ndarray:
    """Several detuned saws with random phases (a thick, moving tone)."""
    out = np.zeros(n)
    for k in range(voices):
        d = 1 + detune * (k - (voices - 1) / 2) / max(1, (voices - 1) / 2)
        out += osc(freq * d, n, "saw", rate, start=rng.random())
    return out / np.sqrt(voices)


def modal(freqs, decays, amps, n: int, rate: int = RATE, rng: np.random.Generator | None = None) -> np.ndarray:
    """Sum of exponentially decaying sines (struck objects); ``decays`` are T60s in seconds."""
    t = np.arange(n) / rate
    out = np.zeros(n)
    for f, d, a in zip(freqs, decays, amps):
        if f >= rate / 2:
            continue
        ph = rng.random() * 2 * np.pi if rng is not None else 0.0
        out += a * np.sin(2 * np.pi * f * t + ph) * np.exp(-6.91 * t / max(d, 1e-3))
    return out


def impulses(n: int, times: np.ndarray, amps: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Place ``kernel`` at each sample time with each amplitude (one FFT convolution)."""
    train = np.zeros(n)
    idx = np.clip(np.asarray(times, dtype=np.int64), 0, n - 1)
    np.add.at(train, idx, amps)
    return signal.oaconvolve(train, kernel)[:n]


# ------------------------------------------------------------------------------ envelopes
def seconds(n: int, rate: int = RATE) -> np.ndarray:
    return np.arange(n) / rate


def env_ad(n: int, attack: float, decay: float, rate: int = RATE, curve: float = 6.91) -> np.ndarray:
    """Linear attack, exponential decay (``decay`` is the time to -60 dB)."""
    t = seconds(n, rate)
    a = np.clip(t / max(attack, 1e-4), 0, 1)
    d = np.exp(-curve * np.maximum(t - attack, 0) / max(decay, 1e-3))
    return a * d


def env_points(n: int, points: list[tuple[float, float]], rate: int = RATE) -> np.ndarray:
    """Piecewise-linear envelope through (fraction of length, level) points."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return np.interp(np.linspace(0, 1, n), xs, ys)


def smooth_random(n: int, rng: np.random.Generator, rate_hz: float, rate: int = RATE) -> np.ndarray:
    """Band-limited random modulation in [-1, 1] changing about ``rate_hz`` times a second."""
    k = max(2, int(n / rate * rate_hz) + 3)
    pts = rng.uniform(-1, 1, k)
    x = np.interp(np.linspace(0, k - 1, n), np.arange(k), pts)
    w = max(1, int(rate / max(rate_hz, 1e-3) / 2))
    if w > 1 and n > w:
        x = signal.oaconvolve(x, np.hanning(w) / np.hanning(w).sum(), mode="same")
    return np.clip(x / (np.max(np.abs(x)) + 1e-9), -1, 1)


# ------------------------------------------------------------------------------ filters
def _sos(kind: str, f, rate: int, order: int):
    nyq = rate / 2
    if kind == "band":
        lo, hi = f
        lo, hi = max(10.0, lo), min(hi, nyq * 0.98)
        if hi <= lo * 1.05:
            hi = min(nyq * 0.98, lo * 1.1)
        return signal.butter(order, [lo, hi], "bandpass", fs=rate, output="sos")
    return signal.butter(order, min(max(10.0, f), nyq * 0.98), kind, fs=rate, output="sos")


def lowpass(x: np.ndarray, f: float, rate: int = RATE, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos("low", f, rate, order), x, axis=0)


def highpass(x: np.ndarray, f: float, rate: int = RATE, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos("high", f, rate, order), x, axis=0)


def bandpass(x: np.ndarray, lo: float, hi: float, rate: int = RATE, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos("band", (lo, hi), rate, order), x, axis=0)


def resonator(x: np.ndarray, f: float, q: float, rate: int = RATE) -> np.ndarray:
    """A 2-pole resonant peak (RBJ band-pass, constant peak gain) at ``f`` Hz."""
    f = min(f, rate * 0.45)
    w0 = 2 * np.pi * f / rate
    alpha = np.sin(w0) / (2 * q)
    b = np.array([alpha, 0, -alpha])
    a = np.array([1 + alpha, -2 * np.cos(w0), 1 - alpha])
    return signal.lfilter(b / a[0], a / a[0], x, axis=0)


def sweep_filter(x: np.ndarray, centre: np.ndarray, width_oct: float | np.ndarray, rate: int = RATE,
                 nfft: int = 1024) -> np.ndarray:
    """Time-varying band-pass in the STFT domain: a Gaussian (in octaves) around ``centre(t)``."""
    n = len(x)
    hop = nfft // 4
    f, t, z = signal.stft(x, fs=rate, nperseg=nfft, noverlap=nfft - hop, boundary="even", padded=True)
    c = np.interp(t * rate, np.arange(n), np.broadcast_to(centre, (n,)))
    w = np.interp(t * rate, np.arange(n), np.broadcast_to(np.asarray(width_oct, dtype=np.float64), (n,)))
    octs = np.log2(np.maximum(f[:, None], 1.0) / np.maximum(c[None, :], 1.0))
    gain = np.exp(-0.5 * (octs / np.maximum(w[None, :], 0.05)) ** 2)
    _, y = signal.istft(z * gain, fs=rate, nperseg=nfft, noverlap=nfft - hop, boundary=True)
    y = y[:n]
    return np.pad(y, (0, n - len(y)))


def tilt_lowpass(x: np.ndarray, cutoff: np.ndarray, rate: int = RATE, nfft: int = 2048) -> np.ndarray:
    """Time-varying low-pass (STFT): a smooth roll-off above ``cutoff(t)``."""
    n = len(x)
    hop = nfft // 4
    f, t, z = signal.stft(x, fs=rate, nperseg=nfft, noverlap=nfft - hop, boundary="even", padded=True)
    c = np.interp(t * rate, np.arange(n), np.broadcast_to(cutoff, (n,)))
    gain = 1.0 / (1.0 + (f[:, None] / np.maximum(c[None, :], 20.0)) ** 4)
    _, y = signal.istft(z * gain, fs=rate, nperseg=nfft, noverlap=nfft - hop, boundary=True)
    y = y[:n]
    return np.pad(y, (0, n - len(y)))


# ------------------------------------------------------------------------------ colour
def drive(x: np.ndarray, amount: float) -> np.ndarray:
    """tanh saturation; ``amount`` 0 is clean, 1 is heavy."""
    if amount <= 0:
        return x
    g = 1 + 9 * amount
    return np.tanh(g * x) / np.tanh(g)


def bitcrush(x: np.ndarray, bits: int) -> np.ndarray:
    q = 2 ** (bits - 1)
    return np.round(x * q) / q


def sample_hold(x: np.ndarray, factor: int) -> np.ndarray:
    if factor <= 1:
        return x
    idx = (np.arange(len(x)) // factor) * factor
    return x[idx]


# ------------------------------------------------------------------------------ space
def pan(x: np.ndarray, pos: float | np.ndarray) -> np.ndarray:
    """Equal-power pan of a mono signal; ``pos`` -1 (left) .. 1 (right), constant or per sample."""
    p = (np.clip(pos, -1, 1) + 1) * np.pi / 4
    return np.stack([x * np.cos(p), x * np.sin(p)], axis=1)


def stereo(x: np.ndarray) -> np.ndarray:
    return x if x.ndim == 2 else np.stack([x, x], axis=1)


def reverb_ir(rt60: float, rng: np.random.Generator, rate: int = RATE, predelay: float = 0.01,
              brightness: float = 0.5) -> np.ndarray:
    """A stereo impulse response: decorrelated noise with a faster decay in the highs."""
    n = int((rt60 * 1.1 + predelay) * rate)
    t = np.arange(n) / rate
    out = np.zeros((n, 2))
    bands = ((0, 500, 1.15), (500, 3000, 0.9), (3000, 16000, 0.45 + 0.4 * brightness))
    for ch in range(2):
        raw = rng.standard_normal(n)
        for lo, hi, k in bands:
            part = bandpass(raw, max(lo, 20), hi, rate, 2) if lo else lowpass(raw, hi, rate, 2)
            out[:, ch] += part * np.exp(-6.91 * np.maximum(t - predelay, 0) / max(rt60 * k, 0.05))
        out[: int(predelay * rate), ch] = 0
    fade = min(n, int(0.005 * rate))
    out[:fade] *= np.linspace(0, 1, fade)[:, None]
    return out / (np.sqrt(np.sum(out ** 2) / 2) + 1e-12)


def reverb(x: np.ndarray, rt60: float, wet: float, rng: np.random.Generator, rate: int = RATE,
           brightness: float = 0.5, circular: bool = False) -> np.ndarray:
    """Convolution reverb (stereo out, same length). ``circular`` wraps the tail onto the start (loops)."""
    x = stereo(x)
    if wet <= 0 or rt60 <= 0.05:
        return x
    ir = reverb_ir(rt60, rng, rate, brightness=brightness)
    n = len(x)
    wet_sig = np.stack([signal.oaconvolve(x[:, c], ir[:, c]) for c in range(2)], axis=1)
    if circular:
        folded = np.zeros((n, 2))
        for k in range(0, len(wet_sig), n):
            part = wet_sig[k: k + n]
            folded[: len(part)] += part
        wet_sig = folded
    else:
        wet_sig = wet_sig[:n]
    return x * (1 - 0.5 * wet) + wet_sig * wet * 0.35


def place(buf: np.ndarray, x: np.ndarray, start: int, circular: bool = False) -> None:
    """Add ``x`` into ``buf`` at ``start`` (clipped, or wrapped around when ``circular``)."""
    n = len(buf)
    if circular:
        for k in range(0, len(x), n):
            part = x[k: k + n]
            s = (start + k) % n
            first = min(len(part), n - s)
            buf[s: s + first] += part[:first]
            if first < len(part):
                buf[: len(part) - first] += part[first:]
        return
    if start >= n or start + len(x) <= 0:
        return
    a = max(0, start)
    b = min(n, start + len(x))
    buf[a:b] += x[a - start: b - start]


def fade_edges(x: np.ndarray, rate: int, ms_in: float = 3.0, ms_out: float = 10.0) -> np.ndarray:
    y = x.copy()
    n_in = min(len(y), int(rate * ms_in / 1000))
    n_out = min(len(y), int(rate * ms_out / 1000))
    shape = (slice(None),) + ((None,) if y.ndim == 2 else ())
    if n_in:
        y[:n_in] *= np.sin(np.linspace(0, np.pi / 2, n_in))[shape]
    if n_out:
        y[len(y) - n_out:] *= np.cos(np.linspace(0, np.pi / 2, n_out))[shape]
    return y


__all__ = ["RATE", "bandpass", "bitcrush", "drive", "env_ad", "env_points", "fade_edges", "highpass", "impulses",
           "lowpass", "modal", "noise", "osc", "pan", "phase", "place", "resonator", "reverb", "reverb_ir",
           "sample_hold", "seconds", "smooth_random", "stereo", "supersaw", "sweep_filter", "tilt_lowpass"]
