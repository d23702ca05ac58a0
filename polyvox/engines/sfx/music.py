"""Musical loops and phrases: drums, bass, chords and an arpeggio/melody on a tempo grid in a key.

For a loop the bar count is chosen so that whole bars fill the requested length with the
tempo closest to the asked one (a 5 s loop at 120 bpm becomes 2 bars at 96 bpm or 3 at
144: whichever is nearer); every note's tail wraps around to the start, so the loop's end
runs into its beginning with no seam. Genres set the tempo, the drum pattern, swing and
the instruments; the key sets the chord progression (minor: i-VI-III-VII, major:
I-V-vi-IV) and the scale of the melody.
"""

from __future__ import annotations

import numpy as np

from polyvox.engines.sfx import synth as s
from polyvox.engines.sfx.prompt import Traits

_MINOR_KEYS = {"lofi", "trap", "techno", "dnb", "cinematic"}
# pattern in 16ths per bar: kick, snare/clap, closed hat
_PATTERNS = {
    "house": ([0, 4, 8, 12], [4, 12], [2, 6, 10, 14]),
    "techno": ([0, 4, 8, 12], [4, 12], [2, 6, 10, 14]),
    "hiphop": ([0, 6, 8, 11], [4, 12], list(range(0, 16, 2))),
    "lofi": ([0, 7, 8], [4, 12], list(range(0, 16, 2))),
    "trap": ([0, 7, 10], [8], list(range(0, 16, 1))),
    "dnb": ([0, 10], [4, 12], list(range(0, 16, 2))),
    "rock": ([0, 8, 10], [4, 12], list(range(0, 16, 2))),
    "pop": ([0, 8], [4, 12], list(range(0, 16, 2))),
    "jazz": ([0, 10], [4, 12], [0, 3, 4, 8, 11, 12]),
    "default": ([0, 8], [4, 12], list(range(0, 16, 2))),
}


def _midi(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _kick(rate: int) -> np.ndarray:
    m = int(0.4 * rate)
    t = np.arange(m) / rate
    f = 45 + 110 * np.exp(-t / 0.04)
    return np.sin(2 * np.pi * np.cumsum(f) / rate) * np.exp(-t / 0.12)


def _snare(rate: int, rng) -> np.ndarray:
    m = int(0.25 * rate)
    t = np.arange(m) / rate
    body = np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.05)
    return 0.5 * body + 0.8 * s.bandpass(rng.standard_normal(m), 1500, 9000, rate) * np.exp(-t / 0.07)


def _clap(rate: int, rng) -> np.ndarray:
    m = int(0.25 * rate)
    t = np.arange(m) / rate
    env = sum(np.exp(-np.maximum(t - d, 0) / 0.012) * (t >= d) for d in (0, 0.011, 0.022)) + \
        np.exp(-np.maximum(t - 0.03, 0) / 0.08) * (t >= 0.03)
    return s.bandpass(rng.standard_normal(m), 900, 5000, rate) * env * 0.6


def _hat(rate: int, rng, open_: bool = False) -> np.ndarray:
    m = int((0.3 if open_ else 0.06) * rate)
    t = np.arange(m) / rate
    return s.highpass(rng.standard_normal(m), 7000, rate) * np.exp(-t / (0.09 if open_ else 0.015)) * 0.35


def _pluck(f: float, m: int, rate: int, bright: float) -> np.ndarray:
    t = np.arange(m) / rate
    x = sum(np.sin(2 * np.pi * f * h * t) * np.exp(-t * (3 + 4 * h)) / h for h in range(1, 7))
    return x * np.minimum(1, t / 0.003) * (0.5 + 0.5 * bright)


def _keys(f: float, m: int, rate: int) -> np.ndarray:
    """Electric-piano-ish: sines with a soft bell partial and tremolo."""
    t = np.arange(m) / rate
    x = np.sin(2 * np.pi * f * t) + 0.3 * np.sin(2 * np.pi * 2 * f * t) * np.exp(-t / 0.3) + \
        0.1 * np.sin(2 * np.pi * 7 * f * t) * np.exp(-t / 0.05)
    return x * np.exp(-t / 1.5) * (1 + 0.15 * np.sin(2 * np.pi * 4.5 * t)) * np.minimum(1, t / 0.005)


def render_music(n: int, tr: Traits, ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    text = ctx.text
    genre = ctx.genre or "default"
    tempo = ctx.tempo or 110.0
    beats = n / rate * tempo / 60
    bars = max(1, round(beats / 4))
    if ctx.loop:
        beat = n / (bars * 4)  # samples per beat, exactly: whole bars fill the loop
    else:
        beat = rate * 60 / tempo
        bars = max(1, int(np.ceil(n / (4 * beat))))
    sixteenth = beat / 4
    minor = ctx.minor or (ctx.key_root is None and genre in _MINOR_KEYS)
    root = 45 + (ctx.key_root if ctx.key_root is not None else (9 if minor else 0))  # A2 / C3
    if root > 50:
        root -= 12
    prog = [0, 8, 3, 10] if minor else [0, 7, 9, 5]
    scale = [0, 3, 5, 7, 10] if minor else [0, 2, 4, 7, 9]
    swing = 0.62 if genre in ("lofi", "hiphop", "jazz") else 0.5
    drums_on = not any(w in text for w in ("ambient", "pad only", "no drums", "piano melody", "melody only")) \
        and genre != "ambient"
    kick_p, snare_p, hat_p = _PATTERNS.get(genre, _PATTERNS["default"])
    if "drum" in text and genre == "default":
        kick_p, snare_p, hat_p = _PATTERNS["rock"]

    out = np.zeros((n, 2))

    def at(bar: int, step16: float) -> int:
        pos = bar * 16 + step16
        if int(step16) % 2 == 1:
            pos += (swing - 0.5) * 2
        return round(pos * sixteenth)

    def put(x: np.ndarray, start: int, pos: float = 0.0, gain: float = 1.0) -> None:
        buf = np.zeros(n)
        s.place(buf, x * gain, start, circular=ctx.loop)
        out[:] += s.pan(buf, pos)

    kick, snare = _kick(rate), (_clap(rate, rng) if genre in ("house", "techno", "trap") else _snare(rate, rng))
    for bar in range(bars):
        if drums_on:
            for p in kick_p:
                put(kick, at(bar, p), 0.0, 0.9 * ctx.vary(1, 0.05))
            for p in snare_p:
                put(snare, at(bar, p), 0.05, 0.6)
            for i, p in enumerate(hat_p):
                open_ = genre in ("house", "techno") and p % 4 == 2 and i % 2 == 1
                put(_hat(rate, rng, open_), at(bar, p), 0.3, ctx.vary(0.5 if i % 2 else 0.7, 0.15))
            if genre == "trap" and rng.random() < 0.6:
                roll_at = 12 + int(rng.integers(0, 3))
                for k in range(4):
                    put(_hat(rate, rng), at(bar, roll_at) + int(k * sixteenth / 2), 0.3, 0.4)
        chord_root = root + prog[bar % len(prog)]
        third = 3 if (prog[bar % len(prog)] in ((0, 5) if minor else (9,)) or (minor and prog[bar % len(prog)] == 0)) \
            else 4
        chord = [chord_root + 12, chord_root + 12 + third, chord_root + 19]
        bar_len = int(16 * sixteenth)
        # bass: the chord root, on the kick pattern (or quarters without drums)
        for p in (kick_p if drums_on else [0, 4, 8, 12]):
            m = int(min(4, 16 - p) * sixteenth)
            f = _midi(chord_root - (12 if genre in ("trap", "lofi", "hiphop") else 0))
            shape = "sine" if genre in ("trap", "lofi", "hiphop", "jazz") else "saw"
            bass = s.lowpass(s.osc(f, m, shape, rate), 400 + 600 * tr.brightness, rate)
            bass *= s.env_ad(m, 0.004, m / rate * 1.5, rate)
            put(bass, at(bar, p), 0.0, 0.45)
        # chords: electric piano for lofi/jazz/hiphop, a pad otherwise
        if genre in ("lofi", "jazz", "hiphop") or "piano" in text:
            for i, note in enumerate(chord + [chord_root + 24 + (10 if minor else 11)] * (genre == "jazz")):
                m = bar_len
                put(_keys(_midi(note), m, rate) * 0.18, at(bar, 0) + i * int(0.012 * rate), (i - 1) * 0.3)
        else:
            m = bar_len + int(0.3 * rate)
            pad = sum(s.supersaw(_midi(note), m, rng, 3, 0.007) for note in chord)
            pad = s.lowpass(pad, 900 + 1500 * tr.brightness, rate) * s.env_points(m, [(0, 0), (0.1, 1), (0.8, 0.8),
                                                                                    (1, 0)])
            put(pad * 0.05, at(bar, 0), 0.0)
        # arpeggio / melody
        if any(w in text for w in ("arp", "melod", "lead", "synth", "pluck", "piano")) or genre in ("house", "pop"):
            steps = range(0, 16, 2) if "arp" in text or genre == "house" else \
                sorted(rng.choice(range(0, 16, 2), size=4, replace=False))
            deg = int(rng.integers(0, len(scale)))
            for k, p in enumerate(steps):
                if "arp" in text or genre == "house":
                    note = chord[k % 3] + 12
                else:
                    deg = int(np.clip(deg + rng.integers(-2, 3), 0, len(scale) * 2 - 1))
                    note = root + 24 + scale[deg % len(scale)] + 12 * (deg // len(scale))
                m = int(3 * sixteenth)
                put(_pluck(_midi(note), m, rate, tr.brightness) * 0.2, at(bar, p), (-0.4 if k % 2 else 0.4))
    if genre == "lofi":
        crackle_n = int(n / rate * 12)
        kl = int(0.002 * rate)
        crackle = s.impulses(n, rng.uniform(0, n, crackle_n), rng.uniform(0.02, 0.1, crackle_n),
                             rng.standard_normal(kl) * np.hanning(kl))
        k = min(n, rate // 2) if ctx.loop else 0  # a loop is filtered as if it repeated: no seam
        padded = np.concatenate([out[n - k:], out]) if k else out
        out = np.stack([s.lowpass(padded[:, c], 3500, rate) for c in range(2)], axis=1)[k:] + s.stereo(crackle)
    return out


__all__ = ["render_music"]
