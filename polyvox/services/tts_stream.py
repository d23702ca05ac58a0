"""The per-segment DSP of ``TTSService`` for a segment that arrives in pieces.

A whole segment gets presence EQ, a gain to the response's loudness target, a look-ahead
limiter and 4 ms fades. The first segment of a response is sent while it is being decoded
(``KokoroEngine.synthesize_stream``), so ``PieceShaper`` applies the same chain piece by piece:

* the EQ is causal: it is rerun over everything so far and only the new samples are kept,
  so they are exactly what a whole-segment pass gives;
* the limiter looks 15 ms ahead, so that much is held back until the next piece (or the
  end) and every sample sent is final;
* the gain cannot wait for the loudness of the whole segment: each piece is matched to the
  loudness of everything so far, and the gain eases from the previous value to the new one
  over the piece's first 50 ms, so the level never jumps.
"""

from __future__ import annotations

import numpy as np

from polyvox.audio import dsp

_HOLD = 0.015
_RAMP = 0.05
_MAX_GAIN_DB = 12.0


class PieceShaper:
    def __init__(self, rate: int, target_lufs: float, *, boost_db: float, fade_ms: float) -> None:
        self.rate = rate
        self.target = target_lufs
        self.boost_db = boost_db
        self.fade_ms = fade_ms
        self._raw = np.zeros(0, np.float32)
        self._gain_db: list[np.ndarray] = []
        self._last_gain: float | None = None
        self._out = np.zeros(0, np.float32)
        self._sent = 0

    @property
    def shaped(self) -> np.ndarray:
        """Everything shaped so far (after the final piece: the whole segment as sent)."""
        return self._out

    def push(self, pcm: np.ndarray, *, final: bool = False) -> np.ndarray:
        """Shape one more piece; returns the samples that are now final (may be fewer than given)."""
        pcm = np.asarray(pcm, dtype=np.float32)
        self._raw = np.concatenate([self._raw, pcm])
        x = dsp.presence_boost(self._raw, self.rate, self.boost_db) if self.boost_db else self._raw
        level = dsp.loudness_lufs(x, self.rate)
        if level > dsp.LUFS_FLOOR:
            gain = float(np.clip(self.target - level, -_MAX_GAIN_DB, _MAX_GAIN_DB))
        else:  # nothing audible yet: keep the previous gain (or none)
            gain = self._last_gain if self._last_gain is not None else 0.0
        start = gain if self._last_gain is None else self._last_gain
        ramp = min(len(pcm), int(_RAMP * self.rate))
        env = np.full(len(pcm), gain, np.float32)
        env[:ramp] = np.linspace(start, gain, ramp, endpoint=False, dtype=np.float32) if ramp else env[:ramp]
        self._gain_db.append(env)
        self._last_gain = gain
        y = x * np.power(10.0, np.concatenate(self._gain_db) / 20.0, dtype=np.float32)
        y = dsp.fade_in(dsp.peak_limit(y, rate=self.rate), self.rate, self.fade_ms)
        if final:
            y = dsp.fade_out(y, self.rate, self.fade_ms)
        ready = len(y) if final else max(self._sent, len(y) - int(_HOLD * self.rate))
        self._out = np.concatenate([self._out, y[self._sent: ready]])
        new = y[self._sent: ready]
        self._sent = ready
        return new.astype(np.float32, copy=False)


__all__ = ["PieceShaper"]
