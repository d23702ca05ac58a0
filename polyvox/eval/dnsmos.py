"""DNSMOS P.835 (SIG / BAK / OVRL), a reference-free speech quality estimate.

A port of the scoring in Microsoft's DNS-Challenge ``DNSMOS/dnsmos_local.py`` for the
P.835 model (``DNSMOS/sig_bak_ovr.onnx``, non-personalised), without the P.808 model (which
would need librosa's mel spectrogram): audio is resampled to 16 kHz, a clip shorter than
9.01 s is repeated (concatenated with itself until long enough, as the reference does),
scored on 9.01 s windows with a 1 s hop, each window's raw outputs mapped through the
P.835 calibration polynomials, and the window scores averaged.

The model files are not in the repository: ``POLYVOX_DNSMOS_DIR`` names the folder that
holds ``sig_bak_ovr.onnx`` (or its parent with a ``DNSMOS/`` sub-folder), defaulting to
``<repo>/../shared/models/dnsmos``. The models are CC-BY-4.0 (Microsoft DNS-Challenge).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
INPUT_LENGTH = 9.01
"""Seconds per window, as in dnsmos_local.py."""
MODEL_FILE = "sig_bak_ovr.onnx"

# np.poly1d coefficients (highest power first) for P.835, is_personalized_MOS=False
_P_SIG = np.poly1d([-0.08397278, 1.22083953, 0.0052439])
_P_BAK = np.poly1d([-0.13166888, 1.60915514, -0.39604546])
_P_OVR = np.poly1d([-0.06766283, 1.11546468, 0.04602535])


def default_dnsmos_dir() -> Path:
    env = os.environ.get("POLYVOX_DNSMOS_DIR")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "models" / "dnsmos"


def find_model_dir(model_dir: Path | None = None) -> Path:
    """The folder holding ``sig_bak_ovr.onnx`` (the non-personalised ``DNSMOS/`` one when
    given the DNS-Challenge layout); raises ``FileNotFoundError`` with a hint otherwise."""
    base = Path(model_dir) if model_dir is not None else default_dnsmos_dir()
    for cand in (base, base / "DNSMOS"):
        if (cand / MODEL_FILE).is_file():
            return cand
    raise FileNotFoundError(
        f"DNSMOS model {MODEL_FILE} not found in {base} (nor {base / 'DNSMOS'}); set POLYVOX_DNSMOS_DIR "
        "to the folder of Microsoft DNS-Challenge's DNSMOS/sig_bak_ovr.onnx"
    )


def _to_mono_float(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float64) / float(np.iinfo(a.dtype).max + 1)
    a = a.astype(np.float64)
    if a.ndim == 2:
        a = a.mean(axis=1 if a.shape[0] > a.shape[1] else 0)
    if a.ndim != 1:
        raise ValueError(f"audio must be 1-D or 2-D, got shape {a.shape}")
    return a


class DnsMos:
    """DNSMOS P.835 scorer; ``score`` is thread-safe (onnxruntime sessions are)."""

    def __init__(self, model_dir: Path | None = None, threads: int = 0) -> None:
        import onnxruntime as ort

        self.model_dir = find_model_dir(model_dir)
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(self.model_dir / MODEL_FILE), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name

    def score(self, audio: np.ndarray, rate: int) -> dict[str, float]:
        """``{"sig", "bak", "ovrl"}`` MOS (1..5) for mono (or 2-D, mixed down) audio."""
        a = _to_mono_float(audio)
        if a.size == 0:
            raise ValueError("DNSMOS needs non-empty audio")
        if rate != SAMPLE_RATE:
            import soxr

            a = soxr.resample(a, rate, SAMPLE_RATE)
        fs = SAMPLE_RATE
        len_samples = int(INPUT_LENGTH * fs)
        while len(a) < len_samples:
            a = np.append(a, a)
        num_hops = int(np.floor(len(a) / fs) - INPUT_LENGTH) + 1
        windows = [a[i * fs : i * fs + len_samples] for i in range(num_hops)]
        windows = [w for w in windows if len(w) == len_samples]
        batch = np.stack(windows).astype(np.float32)
        raw = np.concatenate(
            [self._session.run(None, {self._input: batch[i : i + 8]})[0] for i in range(0, len(batch), 8)]
        )
        sig, bak, ovr = raw[:, 0], raw[:, 1], raw[:, 2]
        return {
            "sig": float(np.mean(_P_SIG(sig))),
            "bak": float(np.mean(_P_BAK(bak))),
            "ovrl": float(np.mean(_P_OVR(ovr))),
        }


__all__ = ["DnsMos", "default_dnsmos_dir", "find_model_dir"]
