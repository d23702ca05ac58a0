"""The voice-isolation engine protocol: stateful streaming denoisers over mono float32 PCM.

Every engine processes audio in small frames so that a response can start after the first
few milliseconds and a one-hour file never has to sit in memory. A request opens its own
:class:`DenoiseStream` (recurrent models carry per-stream state); the loaded model itself is
shared and thread-safe.

Contract of a stream, relied on by the service and checked by the tests:

* ``process(chunk)`` takes any number of samples at ``info.sample_rate`` and returns the
  denoised samples that are ready (possibly fewer, since models look ahead);
* ``flush()`` returns the rest, so that the total output length equals the total input
  length exactly and output sample ``i`` lines up with input sample ``i`` (each engine
  compensates its own algorithmic delay).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class IsolationInfo:
    """What an engine declares about itself (data, not code paths)."""

    name: str
    """Registry name, e.g. ``"dfn3"``."""
    sample_rate: int
    """Rate the model runs at; callers resample to it."""
    frame_length: int
    """Hop in samples: the natural chunk size (10 ms for DFN3, 16 ms for GTCRN, 8 ms for DTLN)."""
    latency_samples: int
    """Algorithmic look-ahead the stream holds back before its first output."""
    description: str
    license: str
    packaged: bool
    """True when the weights arrive with a pip package (a user can install it)."""


@runtime_checkable
class DenoiseStream(Protocol):
    def process(self, chunk: np.ndarray) -> np.ndarray: ...

    def flush(self) -> np.ndarray: ...


@runtime_checkable
class IsolationEngine(Protocol):
    info: IsolationInfo

    def load(self) -> None: ...

    def unload(self) -> None: ...

    def open_stream(self) -> DenoiseStream: ...


class FrameBuffer:
    """Collects arbitrary-length input into whole frames of ``hop`` samples."""

    def __init__(self, hop: int) -> None:
        self.hop = hop
        self._pending = np.zeros(0, dtype=np.float32)

    def push(self, chunk: np.ndarray) -> np.ndarray:
        """Append ``chunk``; return a (n_frames, hop) array of the whole frames now complete."""
        x = np.concatenate((self._pending, np.asarray(chunk, dtype=np.float32).reshape(-1)))
        n = x.shape[0] // self.hop
        self._pending = x[n * self.hop:]
        return x[: n * self.hop].reshape(n, self.hop)

    def pad_out(self) -> tuple[np.ndarray, int]:
        """The last partial frame zero-padded to ``hop``, and how many of its samples are real."""
        real = self._pending.shape[0]
        frame = np.zeros(self.hop, dtype=np.float32)
        frame[:real] = self._pending
        self._pending = np.zeros(0, dtype=np.float32)
        return frame, real


class DelayTrim:
    """Drops an engine's first ``delay`` output samples and keeps count, so output aligns with input."""

    def __init__(self, delay: int) -> None:
        self._skip = delay
        self.emitted = 0

    def __call__(self, out: np.ndarray) -> np.ndarray:
        if self._skip:
            cut = min(self._skip, out.shape[0])
            out = out[cut:]
            self._skip -= cut
        self.emitted += out.shape[0]
        return out


def run_whole(engine: IsolationEngine, pcm: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """Denoise a whole in-memory clip at ``engine.info.sample_rate`` through a fresh stream."""
    stream = engine.open_stream()
    x = np.asarray(pcm, dtype=np.float32).reshape(-1)
    step = chunk or engine.info.frame_length * 50
    parts = [stream.process(x[i:i + step]) for i in range(0, x.shape[0], step)]
    parts.append(stream.flush())
    out = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return out[: x.shape[0]]


__all__ = ["DelayTrim", "DenoiseStream", "FrameBuffer", "IsolationEngine", "IsolationInfo", "run_whole"]
