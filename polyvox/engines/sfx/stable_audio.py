"""Stable Audio Open (stabilityai/stable-audio-open-1.0) through ``diffusers``' StableAudioPipeline.

A user who has the weights puts the diffusers-format folder (``model_index.json``,
``transformer/``, ``vae/``, ``text_encoder/``, ``tokenizer/``, ``projection_model/``,
``scheduler/``) into ``<models_dir>/stable-audio-open/``; nothing is downloaded
(``local_files_only``). The model makes 44.1 kHz stereo up to 47 s.

Mapping of the ElevenLabs parameters:

* ``duration_seconds`` -> ``audio_end_in_s`` (the output is then cut or padded to the exact
  sample count; the model works in latent frames of 2048 samples);
* ``prompt_influence`` -> classifier-free guidance ``1 + 11 * influence`` (0.3 -> 4.3, the
  model card's 7 at about 0.55), and at 1 a seed derived from the prompt (the same sound
  every time);
* ``loop`` -> rendered 0.35 s longer and the overhang cross-faded into the start, as the
  procedural engine does (the model has no loop conditioning);
* automatic duration -> the procedural planner's natural length for the prompt.

Needs ``torch``, ``diffusers``, ``transformers`` and ``torchsde`` (the ``models`` extra).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from pathlib import Path

import numpy as np

from polyvox.engines.sfx.base import MAX_SECONDS, MIN_SECONDS, SfxEngineInfo, SoundEffect, SoundRequest

logger = logging.getLogger(__name__)

NEGATIVE_PROMPT = "Low quality, distorted, noise."
_LOOP_EXTRA_S = 0.35


def installed(folder: Path) -> bool:
    return (Path(folder) / "model_index.json").is_file()


class StableAudioSfx:
    """Stable Audio Open behind the sound-effects protocol."""

    def __init__(self, folder: Path, *, steps: int = 100, threads: int = 0) -> None:
        self.folder = Path(folder)
        self.steps = steps
        self.threads = threads
        self.info = SfxEngineInfo(name="stable-audio-open", sample_rate=44_100, channels=2, max_seconds=MAX_SECONDS,
                                  loops=True, auto_duration=True, deterministic=True)
        self._pipe = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._pipe is not None:
                return
            try:
                import torch
                from diffusers import StableAudioPipeline
            except ImportError as e:
                raise RuntimeError("Stable Audio Open needs 'torch', 'diffusers', 'transformers' and 'torchsde' "
                                   "(pip install 'polyvox[models]')") from e
            if not installed(self.folder):
                raise RuntimeError(f"no diffusers model_index.json in {self.folder}")
            if self.threads:
                torch.set_num_threads(self.threads)
            pipe = StableAudioPipeline.from_pretrained(str(self.folder), local_files_only=True)  # float32 weights
            pipe.set_progress_bar_config(disable=True)
            self._pipe = pipe
            rate = int(pipe.vae.sampling_rate)
            # the longest the model can make: latent frames x the VAE's hop (47.55 s for the real model)
            longest = pipe.transformer.config.sample_size * pipe.vae.hop_length / rate
            self.info = SfxEngineInfo(name="stable-audio-open", sample_rate=rate, channels=2,
                                      max_seconds=float(min(MAX_SECONDS, longest - _LOOP_EXTRA_S)), loops=True,
                                      auto_duration=True, deterministic=True)
            logger.info("Stable Audio Open loaded from %s", self.folder)

    def unload(self) -> None:
        with self._lock:
            self._pipe = None

    def generate(self, request: SoundRequest) -> SoundEffect:
        import torch

        from polyvox.engines.sfx.procedural import ProceduralSfx, _fold_loop
        from polyvox.engines.sfx.prompt import parse

        self.load()
        text = (request.text or "").strip()
        if not text:
            raise ValueError("the prompt is empty")
        plan = parse(text)
        loop = bool(request.loop or plan.loop)
        duration = request.duration if request.duration is not None else ProceduralSfx.auto_duration(plan)
        duration = min(duration, self.info.max_seconds) if request.duration is None else duration
        if not MIN_SECONDS <= duration <= self.info.max_seconds:
            raise ValueError(f"duration must be between {MIN_SECONDS} and {self.info.max_seconds} seconds")
        influence = float(np.clip(request.prompt_influence, 0.0, 1.0))
        if request.seed is not None:
            seed = int(request.seed)
        elif influence >= 0.999:
            seed = int.from_bytes(hashlib.sha256(text.lower().encode()).digest()[:8], "little") & (2**63 - 1)
        else:
            seed = secrets.randbits(63)
        rate = self.info.sample_rate
        n = round(duration * rate)
        extra = int(_LOOP_EXTRA_S * rate) if loop else 0
        gen = torch.Generator("cpu").manual_seed(seed)
        with torch.inference_mode():
            out = self._pipe(prompt=text, negative_prompt=NEGATIVE_PROMPT, audio_end_in_s=(n + extra) / rate,
                             num_inference_steps=self.steps, guidance_scale=1.0 + 11.0 * influence,
                             generator=gen, output_type="np")
        audio = np.asarray(out.audios[0], dtype=np.float64).T  # (samples, channels)
        if audio.shape[1] == 1:
            audio = np.repeat(audio, 2, axis=1)
        total = n + extra
        audio = audio[:total] if audio.shape[0] >= total else np.pad(audio, ((0, total - audio.shape[0]), (0, 0)))
        if loop:
            audio = _fold_loop(audio, n, extra)
        audio = np.clip(np.nan_to_num(audio[:n]), -1.0, 1.0).astype(np.float32)
        return SoundEffect(audio, rate, {"engine": "stable-audio-open", "seed": seed, "loop": loop,
                                         "duration": n / rate, "guidance_scale": 1.0 + 11.0 * influence})


__all__ = ["NEGATIVE_PROMPT", "StableAudioSfx", "installed"]
