"""GTCRN and DTLN: two small 16 kHz streaming enhancers that run on onnxruntime.

Neither ships in a pip package, so a user drops their ONNX files into the models folder
(``<data_dir>/models/gtcrn/`` and ``<data_dir>/models/dtln/``, or any folder named by
``POLYVOX_ISOLATION__MODELS_DIR``); the engines never download anything. Both are MIT
licensed upstream.

* **GTCRN** (Xiaobin-Rong/gtcrn, ``stream/onnx_models/gtcrn_simple.onnx``): 24 k parameters,
  512-point STFT with a 256 hop and a square-root Hann window (the repo's ``torch.stft``
  call), one frame per ``run`` with three caches carried between calls; the model returns
  the enhanced complex spectrum, which is overlap-added with the same window. The
  ``center=True`` framing of the original is reproduced by starting the analysis buffer with
  half a frame of zeros, so output is aligned with input after a 256-sample (16 ms) delay.
* **DTLN** (breizhn/DTLN, ``model_1.onnx`` + ``model_2.onnx``): 512-sample blocks with a
  128 hop; stage 1 predicts a magnitude mask from the (unwindowed) block's spectrum, stage 2
  refines the masked time-domain block; blocks are overlap-added with the 1/4 gain of the
  reference ``real_time_processing_onnx.py``. Delay 384 samples (24 ms).

Both load one ``InferenceSession`` per engine (thread-safe) and keep per-stream state in the
stream object.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from polyvox.engines.isolation.base import DelayTrim, FrameBuffer, IsolationInfo

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


def _session(path: Path, threads: int):
    try:
        import onnxruntime as ort
    except ImportError as e:  # pragma: no cover - dependency of polyvox
        raise RuntimeError("this engine needs the 'onnxruntime' package") from e
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, threads)
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def _find(folder: Path, names: tuple[str, ...], what: str) -> Path:
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise RuntimeError(f"{what} model not found: expected {' or '.join(names)} in {folder} "
                       f"(copy the upstream ONNX files there; see docs/voice-isolator.md)")


# GTCRN ----------------------------------------------------------------------------------
_G_NFFT, _G_HOP = 512, 256
_G_WINDOW = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_G_NFFT) / _G_NFFT)).astype(np.float32)


class _GtcrnStream:
    def __init__(self, engine: GtcrnEngine) -> None:
        self._sess = engine._sess
        self._frames = FrameBuffer(_G_HOP)
        self._in = np.zeros(_G_NFFT, np.float32)  # first frame centred on sample 0, as torch.stft(center=True)
        self._ola = np.zeros(_G_NFFT, np.float32)
        self._conv = np.zeros((2, 1, 16, 16, 33), np.float32)
        self._tra = np.zeros((2, 3, 1, 1, 16), np.float32)
        self._inter = np.zeros((2, 1, 33, 16), np.float32)
        self._trim = DelayTrim(_G_HOP)
        self._seen = 0

    def _frame(self, hop_samples: np.ndarray) -> np.ndarray:
        self._in[:-_G_HOP] = self._in[_G_HOP:]
        self._in[-_G_HOP:] = hop_samples
        spec = np.fft.rfft(self._in * _G_WINDOW)
        mix = np.stack([spec.real, spec.imag], axis=-1).astype(np.float32)[None, :, None, :]
        enh, self._conv, self._tra, self._inter = self._sess.run(
            None, {"mix": mix, "conv_cache": self._conv, "tra_cache": self._tra, "inter_cache": self._inter})
        e = enh[0, :, 0, :]
        block = np.fft.irfft(e[:, 0] + 1j * e[:, 1], n=_G_NFFT).astype(np.float32) * _G_WINDOW
        self._ola += block
        out = self._ola[:_G_HOP].copy()
        self._ola[:-_G_HOP] = self._ola[_G_HOP:]
        self._ola[-_G_HOP:] = 0.0
        return out

    def process(self, chunk: np.ndarray) -> np.ndarray:
        x = np.asarray(chunk, dtype=np.float32).reshape(-1)
        self._seen += x.shape[0]
        frames = self._frames.push(x)
        if frames.shape[0] == 0:
            return np.zeros(0, np.float32)
        return self._trim(np.concatenate([self._frame(f) for f in frames]))

    def flush(self) -> np.ndarray:
        frame, _ = self._frames.pad_out()
        outs = [self._frame(frame), self._frame(np.zeros(_G_HOP, np.float32))]
        out = self._trim(np.concatenate(outs))
        need = self._seen - (self._trim.emitted - out.shape[0])
        return out[:max(0, need)]


class GtcrnEngine:
    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads
        self.info = IsolationInfo(
            name="gtcrn", sample_rate=SAMPLE_RATE, frame_length=_G_HOP, latency_samples=_G_HOP,
            description="GTCRN (16 kHz, 24k parameters, streaming)", license="MIT", packaged=False)
        self._sess = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._sess is None:
                path = _find(self.model_dir, ("gtcrn_simple.onnx", "gtcrn.onnx"), "GTCRN")
                self._sess = _session(path, self.threads)

    def unload(self) -> None:
        with self._lock:
            self._sess = None

    def open_stream(self) -> _GtcrnStream:
        self.load()
        return _GtcrnStream(self)


# DTLN -----------------------------------------------------------------------------------
_D_BLOCK, _D_SHIFT = 512, 128


class _DtlnStream:
    def __init__(self, engine: DtlnEngine) -> None:
        self._s1, self._s2 = engine._s1, engine._s2
        self._n1, self._n2 = engine._names
        self._frames = FrameBuffer(_D_SHIFT)
        self._in = np.zeros(_D_BLOCK, np.float32)
        self._ola = np.zeros(_D_BLOCK, np.float32)
        self._st1 = np.zeros((1, 2, 128, 2), np.float32)
        self._st2 = np.zeros((1, 2, 128, 2), np.float32)
        self._trim = DelayTrim(_D_BLOCK - _D_SHIFT)
        self._seen = 0

    def _frame(self, hop_samples: np.ndarray) -> np.ndarray:
        self._in[:-_D_SHIFT] = self._in[_D_SHIFT:]
        self._in[-_D_SHIFT:] = hop_samples
        spec = np.fft.rfft(self._in)
        mag = np.abs(spec).astype(np.float32)[None, None, :]
        mask, self._st1 = self._s1.run(None, {self._n1[0]: mag, self._n1[1]: self._st1})
        est = np.fft.irfft(spec * mask[0, 0], n=_D_BLOCK).astype(np.float32)[None, None, :]
        block, self._st2 = self._s2.run(None, {self._n2[0]: est, self._n2[1]: self._st2})
        self._ola[:-_D_SHIFT] = self._ola[_D_SHIFT:]
        self._ola[-_D_SHIFT:] = 0.0
        self._ola += block[0, 0] * (_D_SHIFT / _D_BLOCK)
        return self._ola[:_D_SHIFT].copy()

    def process(self, chunk: np.ndarray) -> np.ndarray:
        x = np.asarray(chunk, dtype=np.float32).reshape(-1)
        self._seen += x.shape[0]
        frames = self._frames.push(x)
        if frames.shape[0] == 0:
            return np.zeros(0, np.float32)
        return self._trim(np.concatenate([self._frame(f) for f in frames]))

    def flush(self) -> np.ndarray:
        frame, _ = self._frames.pad_out()
        outs = [self._frame(frame)] + [self._frame(np.zeros(_D_SHIFT, np.float32))
                                       for _ in range((_D_BLOCK - _D_SHIFT) // _D_SHIFT)]
        out = self._trim(np.concatenate(outs))
        need = self._seen - (self._trim.emitted - out.shape[0])
        return out[:max(0, need)]


class DtlnEngine:
    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        self.model_dir = Path(model_dir)
        self.threads = threads
        self.info = IsolationInfo(
            name="dtln", sample_rate=SAMPLE_RATE, frame_length=_D_SHIFT, latency_samples=_D_BLOCK - _D_SHIFT,
            description="DTLN (16 kHz, two-stage LSTM, streaming)", license="MIT", packaged=False)
        self._s1 = self._s2 = None
        self._names: tuple = ((), ())
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._s1 is None:
                s1 = _session(_find(self.model_dir, ("model_1.onnx",), "DTLN stage 1"), self.threads)
                s2 = _session(_find(self.model_dir, ("model_2.onnx",), "DTLN stage 2"), self.threads)
                self._names = (tuple(i.name for i in s1.get_inputs()), tuple(i.name for i in s2.get_inputs()))
                self._s1, self._s2 = s1, s2

    def unload(self) -> None:
        with self._lock:
            self._s1 = self._s2 = None

    def open_stream(self) -> _DtlnStream:
        self.load()
        return _DtlnStream(self)


__all__ = ["SAMPLE_RATE", "DtlnEngine", "GtcrnEngine"]
