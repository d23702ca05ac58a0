"""Parler-TTS (Lyth & King, 2024): a voice described in words.

Parler-TTS conditions an audio-token decoder on a free-text description of the speaker
("A warm female voice, slightly fast, very close-sounding recording") through a T5
encoder, and on the words to say through prompt embeddings; a DAC codec turns the tokens
into 44.1 kHz audio. Its sampling is what gives a description one concrete speaker, so a
voice here is a description *and* a seed: the same pair always renders the same voice.
This is the real engine behind voice design (``POST /v1/text-to-voice/create-previews``):
:meth:`ParlerEngine.design` renders previews of one description with different seeds.

The model code is in :mod:`parler_model` (why the ``parler-tts`` package itself is not
used is explained there); this module is the engine around it.

Voices
    A voice spec (``SynthesisRequest.voice``) is JSON, ``{"description": "...", "seed": 7}``,
    made by :func:`voice_spec` and read by :func:`parse_voice_spec`. The engine ships no
    voices (``voices()`` is empty): voices are designed, stored by the voice service with
    the spec as their ``parler`` binding.

Weights (not shipped; the user installs them and sets ``POLYVOX_ENGINES__PARLER_DIR``)::

    <parler_dir>/                     a Hugging Face checkpoint folder, e.g. the files of
                                      parler-tts/parler-tts-mini-v1 (or large-v1)
      config.json                     model_type "parler_tts": text_encoder (T5),
                                      audio_encoder (DAC), decoder configs
      generation_config.json          optional: sampling (do_sample, temperature, top_k,
                                      top_p, max_length, min_new_tokens, token ids)
      model.safetensors               the weights (or a sharded model.safetensors.index.json
                                      with its shards, or pytorch_model.bin)
      tokenizer_config.json           the prompt tokenizer: tokenizer.json and/or spiece.model
      tokenizer.json                  (+ special_tokens_map.json)
      description_tokenizer/          optional: a separate tokenizer for descriptions, for
                                      models whose prompt tokenizer differs from their T5's
                                      (multilingual, Indic: the files of the T5 named in
                                      config.text_encoder._name_or_path); without it the
                                      prompt tokenizer reads descriptions too (mini/large v1)

Languages
    English (the released v1 models); pass ``languages`` for a multilingual checkpoint.
    Other languages raise ValueError.

Voice settings
    No effect (Parler has no speed or stability control; the description says how to
    speak: "slightly fast", "very expressive", ...). ``SynthesisRequest.seed`` is not used
    either: the spec's seed is the voice.

Alignment
    Parler has none. Leading and trailing silence is trimmed to 30 ms and each word gets a
    share of the non-silent time in proportion to its length
    (``alignment.estimate_phoneme_times``); spaces and punctuation share the gaps.

Speed
    Autoregressive over ~86 token frames a second of audio with a 24-layer decoder: far
    slower than real time on a CPU; generation stops at end-of-speech or at a cap of
    ``2 + 0.25 * characters`` seconds per segment.

Needs ``torch`` and ``transformers`` (``pip install 'polyvox[models]'``); imported on load only.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .alignment import align_chars, estimate_phoneme_times, silence, text_words, trim_silence
from .base import EngineInfo, EngineVoice, Synthesis, SynthesisRequest

if TYPE_CHECKING:
    from polyvox.engines.manager import EngineManager
    from polyvox.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_SAMPLE_RATE = 44100
DESCRIPTION_TOKENIZER_DIR = "description_tokenizer"
MAX_DESCRIPTION_CHARS = 1000
_PAD = 0.03
_BASE_SECONDS = 2.0
_SECONDS_PER_CHAR = 0.25


# ---------------------------------------------------------------------------- voice specs


def voice_spec(description: str, seed: int) -> str:
    """The engine voice for ``description`` sampled with ``seed``."""
    description = " ".join(description.split())
    if not description:
        raise ValueError("a Parler-TTS voice needs a description")
    return json.dumps({"description": description, "seed": int(seed)}, ensure_ascii=False, sort_keys=True)


def parse_voice_spec(spec: str) -> tuple[str, int]:
    """``(description, seed)`` of a spec made by :func:`voice_spec`; ValueError otherwise."""
    try:
        data = json.loads(spec)
    except (TypeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict):
        # ValueError, not TypeError: the engine protocol's error for a voice it cannot serve
        raise ValueError(  # noqa: TRY004
            f'not a Parler-TTS voice spec: {spec!r} (expected {{"description": ..., "seed": ...}})')
    description, seed = data.get("description"), data.get("seed")
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"Parler-TTS voice spec without a description: {spec!r}")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise ValueError(f"Parler-TTS voice description is longer than {MAX_DESCRIPTION_CHARS} characters")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"Parler-TTS voice spec needs an integer seed in [0, 2**63): {spec!r}")
    return description, seed


# ------------------------------------------------------------------------------ checkpoint


def _tokenizer_missing(folder: Path) -> list[str]:
    missing = []
    if not (folder / "tokenizer_config.json").is_file():
        missing.append(str(folder / "tokenizer_config.json"))
    if not (folder / "tokenizer.json").is_file() and not (folder / "spiece.model").is_file():
        missing.append(str(folder / "tokenizer.json") + " (or spiece.model)")
    return missing


def missing_files(folder: Path) -> list[str]:
    """What the checkpoint folder lacks (empty when it looks complete)."""
    from .parler_model import WEIGHT_FILES

    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder} (the folder itself)"]
    missing = [] if (folder / "config.json").is_file() else [str(folder / "config.json")]
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        missing.append(f"{folder}/{' or '.join(WEIGHT_FILES)}")
    missing += _tokenizer_missing(folder)
    if (folder / DESCRIPTION_TOKENIZER_DIR).is_dir():
        missing += _tokenizer_missing(folder / DESCRIPTION_TOKENIZER_DIR)
    return missing


def installed(folder: Path | None) -> bool:
    return folder is not None and not missing_files(Path(folder))


class ParlerEngine:
    def __init__(self, folder: Path, threads: int = 0, languages: tuple[str, ...] = ("en",)) -> None:
        self.folder = Path(folder)
        self.threads = threads
        # the rate is declared before load (``/v1/models`` peeks at it): read it from config.json
        rate = DEFAULT_SAMPLE_RATE
        try:
            config = json.loads((self.folder / "config.json").read_text())
            rate = int(config["audio_encoder"]["sampling_rate"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        self.info = EngineInfo(name="parler", languages=frozenset(languages), sample_rate=rate,
                               deterministic=True)
        self._lock = threading.Lock()
        self._model = None
        self._sampling = None
        self._prompt_tok = None
        self._description_tok = None

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            missing = missing_files(self.folder)
            if missing:
                raise RuntimeError(f"Parler-TTS checkpoint incomplete in {self.folder}; "
                                   f"missing: {', '.join(missing)}")
            try:
                import torch
                from transformers import AutoTokenizer

                from .parler_model import Sampling, load_model
            except ImportError as e:
                raise RuntimeError("Parler-TTS needs 'torch' and 'transformers' "
                                   "(pip install 'polyvox[models]')") from e
            if self.threads:
                torch.set_num_threads(self.threads)
            model = load_model(self.folder)
            desc_dir = self.folder / DESCRIPTION_TOKENIZER_DIR
            # config= spares AutoTokenizer reading config.json (whose parler_tts type it does not know)
            tok_cfg = model.text_encoder.config
            self._prompt_tok = AutoTokenizer.from_pretrained(self.folder, config=tok_cfg,
                                                             local_files_only=True)
            self._description_tok = self._prompt_tok
            if desc_dir.is_dir():
                self._description_tok = AutoTokenizer.from_pretrained(desc_dir, config=tok_cfg,
                                                                      local_files_only=True)
            self._sampling = Sampling.from_files(self.folder, model.decoder_cfg)
            if model.sample_rate != self.info.sample_rate:  # config.json unreadable at construction
                raise RuntimeError(f"Parler-TTS sample rate {model.sample_rate} differs from config.json's")
            self._model = model

    def unload(self) -> None:
        with self._lock:
            self._model = None

    def voices(self) -> list[EngineVoice]:
        return []  # voices are designed (descriptions), not shipped

    # ---- rendering

    def _ids(self, tokenizer, text: str):
        import torch

        ids = tokenizer(text).input_ids
        return torch.tensor([ids], dtype=torch.long)

    def _render(self, description: str, seed: int, text: str) -> np.ndarray:
        import torch

        from .parler_model import generate

        model = self._model
        if model is None:
            raise RuntimeError("ParlerEngine.load() has not been called")
        generator = torch.Generator().manual_seed(seed)
        max_frames = int(model.frame_rate * (_BASE_SECONDS + _SECONDS_PER_CHAR * len(text))) + 1
        codes = generate(model, self._ids(self._description_tok, description),
                         self._ids(self._prompt_tok, text), self._sampling, generator, max_frames=max_frames)
        if codes.shape[1] == 0:
            return np.zeros(0, dtype=np.float32)
        with torch.inference_mode():
            audio = model.decode_codes(codes)
        return audio.numpy().astype(np.float32)

    def synthesize(self, request: SynthesisRequest) -> Synthesis:
        if request.language not in self.info.languages:
            raise ValueError(f"Parler-TTS here speaks {', '.join(sorted(self.info.languages))}, "
                             f"not {request.language!r}")
        description, seed = parse_voice_spec(request.voice)
        rate = self.info.sample_rate
        text = request.text
        words = text_words(text)
        if not words:
            audio, starts, ends = silence(text, rate)
            return Synthesis(audio, rate, starts, ends)
        audio = self._render(description, seed, text)
        audio = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)
        audio, _ = trim_silence(audio, rate, pad=_PAD)
        if len(audio) == 0:
            audio, starts, ends = silence(text, rate)
            return Synthesis(audio, rate, starts, ends)
        weights = np.array([b - a for a, b in words], dtype=np.float64)
        ws, we = estimate_phoneme_times(weights, audio, rate)
        starts, ends = align_chars(text, words, ws, we, len(audio) / rate)
        return Synthesis(np.clip(audio, -1.0, 1.0).astype(np.float32), rate, starts, ends)

    def design(self, description: str, text: str, n: int = 3, seed: int | None = None,
               language: str | None = None) -> list[tuple[str, Synthesis]]:
        """``n`` previews of ``description`` speaking ``text``: (voice spec, audio) per seed.

        Seeds are ``seed, seed + 1, ...`` (a random start when ``seed`` is None); each spec
        renders exactly its preview again when used as a voice.
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        base = secrets.randbelow(2**31) if seed is None else int(seed)
        lang = language or ("en" if "en" in self.info.languages else min(self.info.languages))
        out = []
        for i in range(n):
            spec = voice_spec(description, base + i)
            out.append((spec, self.synthesize(SynthesisRequest(text=text, voice=spec, language=lang))))
        return out


def register(manager: EngineManager, settings: Settings) -> bool:
    """Register the ``parler`` engine when ``settings.engines.parler_dir`` is set; returns whether it was.

    Fails at startup (RuntimeError) when the folder is set but incomplete, or when torch /
    transformers are missing, rather than on the first request.
    """
    folder = settings.engines.parler_dir
    if folder is None:
        return False
    missing = missing_files(Path(folder))
    if missing:
        raise RuntimeError(f"POLYVOX_ENGINES__PARLER_DIR={folder} is not a complete Parler-TTS checkpoint; "
                           f"missing: {', '.join(missing)} (see docs/voice-design.md).")
    lacking = [p for p in ("torch", "transformers") if importlib.util.find_spec(p) is None]
    if lacking:
        raise RuntimeError(f"POLYVOX_ENGINES__PARLER_DIR is set but {', '.join(lacking)} is not installed "
                           "(pip install 'polyvox[models]'; see docs/voice-design.md).")
    threads = settings.engines.threads or max(1, (os.cpu_count() or 1) // settings.engines.workers)
    manager.register("parler", lambda: ParlerEngine(Path(folder), threads=threads))
    return True


__all__ = ["ParlerEngine", "installed", "missing_files", "parse_voice_spec", "register", "voice_spec"]
