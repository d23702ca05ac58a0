"""The voice lab: voices users make (instant clones now, designed voices via ``voice_design``).

Instant voice cloning (``POST /v1/voices/add``):

1. **Samples** are decoded (any container PyAV reads), optionally cleaned by the voice
   isolator (``remove_background_noise``), trimmed of leading/trailing silence and
   brought to -20 LUFS. Fewer than ``MIN_SECONDS`` of audio in all is refused. The
   uploaded file is kept as the sample (``GET .../samples/{id}/audio`` returns it); the
   cleaned 24 kHz PCM is kept beside it for re-cloning.
2. **First voice at once.** The reference's speaker embedding ranks the stock voices and
   the best blend of their cached embeddings becomes the voice's first Kokoro style, so
   the voice works in every TTS route the moment the request returns.
3. **Refinement as a job** (kind ``voice_clone``, progress on ``/v1/jobs/{id}``): the full
   style-space search of ``voicelab.clone`` replaces the style when it is done (20-35 s
   for a minute of audio on 2 cores). ``voice.lab`` says which stage a voice is at.
4. **Real cloning engines** get the voice too: the reference clip (the best 4-12 s of the
   samples) and its Whisper transcript are what the F5-TTS engine conditions on when it
   is installed (model ``f5_tts``).

Assets are blobs under ``voices/<voice_id>/``; engine bindings point at them by content
hash (``custom:<voice_id>/<hash>``), so a re-clone never serves a stale cached style.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from polyvox.audio import dsp
from polyvox.audio.decode import AudioDecodeError, decode_audio
from polyvox.engines.tts.kokoro_custom import KokoroVoiceAsset
from polyvox.engines.tts.kokoro_custom import spec as kokoro_spec
from polyvox.errors import InvalidRequest, PolyvoxError, VoiceNotFound
from polyvox.jobs import Cancelled, Retry
from polyvox.services import media_input
from polyvox.store.models import Voice
from polyvox.voicelab import analysis, clone
from polyvox.voicelab.clone import CloneOptions, clone_voice
from polyvox.voicelab.style_space import StockProfiles, StyleSpace

logger = logging.getLogger(__name__)

MIN_SECONDS = 10.0
MAX_FILES = 25
MAX_REFERENCE_SECONDS = 180.0
"""The search analyses at most this much of the samples (more adds time, not accuracy)."""
SAMPLE_RATE = 24_000
TARGET_LUFS = -20.0
CLONE_JOB = "voice_clone"


@dataclass
class SampleUpload:
    path: Path
    filename: str | None
    content_type: str | None


@dataclass
class _Prepared:
    sample: dict[str, Any]
    original: bytes
    clean: np.ndarray


def _wav_bytes(pcm: np.ndarray, rate: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.clip(pcm, -1, 1), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _read_wav(data: bytes) -> np.ndarray:
    x, _ = sf.read(io.BytesIO(data), dtype="float32")
    return x if x.ndim == 1 else x.mean(axis=1)


class VoiceLabService:
    def __init__(self, services) -> None:
        self.services = services
        self.blobs = services.blobs
        self._lock = threading.Lock()
        self._space: StyleSpace | None = None
        self._stock: StockProfiles | None = None
        self._embedder = None

    @classmethod
    def build(cls, services) -> VoiceLabService:
        return cls(services)

    # ------------------------------------------------------------------ engines
    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from polyvox.engines.stt.diarize import SpeakerEmbedder

                self._embedder = SpeakerEmbedder(threads=1)
            return self._embedder

    @contextmanager
    def engine_context(self) -> Iterator[tuple[Any, Any, StyleSpace, StockProfiles]]:
        """(Kokoro engine, speaker embedder, style space, stock profiles), the engine held in use."""
        with self.services.engines.acquire("kokoro") as engine:
            embedder = self.embedder()
            with self._lock:
                if self._space is None:
                    self._space = StyleSpace(engine.stock_styles())
                space = self._space
            # built once per model and voice set (about 1-2 minutes), then read from disk
            with self._lock:
                if self._stock is None:
                    settings = self.services.settings
                    cache = settings.engines.voicelab_dir or settings.models_dir / "voicelab"
                    self._stock = StockProfiles.load_or_build(engine, space, embedder, cache)
                stock = self._stock
            yield engine, embedder, space, stock

    def load_kokoro_asset(self, key: str) -> KokoroVoiceAsset:
        """``custom:<voice_id>/<hash>`` -> the stored asset (the Kokoro engine's custom_loader)."""
        voice_id, _, digest = key.partition("/")
        try:
            return KokoroVoiceAsset.from_bytes(self.blobs.get(f"voices/{voice_id}/kokoro-{digest}.npz"))
        except (FileNotFoundError, KeyError) as e:
            raise ValueError(f"the style of voice {voice_id} is missing") from e

    def load_reference(self, voice_id: str):
        """The F5-TTS reference of a cloned voice: clip and transcript (transcribed once, then stored)."""
        from polyvox.engines.tts.f5 import Reference

        audio = _read_wav(self.blobs.get(f"voices/{voice_id}/reference.wav"))
        key = f"voices/{voice_id}/reference.txt"
        if self.blobs.exists(key):
            text = self.blobs.get(key).decode()
        else:
            text = self._transcribe(audio)
            self.blobs.put(key, text.encode())
        return Reference(audio=audio, sample_rate=SAMPLE_RATE, text=text)

    def _transcribe(self, audio: np.ndarray) -> str:
        from polyvox.services.stt import SttRequest, SttService

        stt = self.services.component(SttService)
        plan = stt.plan(SttRequest(model_id=None, language_code=None))
        result = stt.transcribe_array(dsp.resample(audio, SAMPLE_RATE, 16_000), plan)
        return result.text.strip()

    # ------------------------------------------------------------------ samples
    def prepare(self, uploads: list[SampleUpload], *, remove_background_noise: bool) -> list[_Prepared]:
        if not uploads:
            raise InvalidRequest("At least one audio file is required.", code="missing_samples")
        if len(uploads) > MAX_FILES:
            raise InvalidRequest(f"At most {MAX_FILES} files can be added to a voice.", code="too_many_samples")
        out = []
        for up in uploads:
            original = up.path.read_bytes()
            if not original:
                raise InvalidRequest(f"File {up.filename or '?'} is empty.", code="invalid_audio")
            try:
                pcm, _ = decode_audio(up.path, target_rate=SAMPLE_RATE)
            except AudioDecodeError as e:
                raise media_input.decode_error(e) from e
            if remove_background_noise:
                from polyvox.services.isolation import IsolationService

                pcm = self.services.component(IsolationService).isolate_array(pcm, SAMPLE_RATE)
            pcm, _ = dsp.trim_silence(pcm, SAMPLE_RATE, threshold_db=-40.0, pad_ms=50.0)
            if len(pcm) < SAMPLE_RATE // 2:
                raise InvalidRequest(f"File {up.filename or '?'} contains no audible speech.", code="invalid_audio")
            pcm = dsp.match_loudness(pcm, SAMPLE_RATE, TARGET_LUFS, max_gain_db=30.0)
            sample = {
                "sample_id": uuid.uuid4().hex[:20], "file_name": up.filename or "sample",
                "mime_type": up.content_type or "application/octet-stream", "size_bytes": len(original),
                "hash": hashlib.md5(original).hexdigest(),
                "duration_secs": round(len(pcm) / SAMPLE_RATE, 3),
                "remove_background_noise": remove_background_noise,
            }
            out.append(_Prepared(sample, original, pcm))
        return out

    def _store_samples(self, voice_id: str, prepared: list[_Prepared]) -> None:
        for p in prepared:
            sid = p.sample["sample_id"]
            self.blobs.put(f"voices/{voice_id}/{sid}", p.original)
            self.blobs.put(f"voices/{voice_id}/{sid}.clean.wav", _wav_bytes(p.clean, SAMPLE_RATE))

    def _clean_audio(self, voice: Voice) -> list[np.ndarray]:
        return [_read_wav(self.blobs.get(f"voices/{voice.voice_id}/{s['sample_id']}.clean.wav"))
                for s in voice.samples or []]

    @staticmethod
    def _check_length(samples: list[dict]) -> float:
        total = sum(float(s.get("duration_secs", 0)) for s in samples)
        if total < MIN_SECONDS:
            raise InvalidRequest(
                f"Voice samples hold {total:.1f} s of audio; cloning needs at least {MIN_SECONDS:.0f} s.",
                code="samples_too_short")
        return total

    def sample_audio(self, voice_id: str, sample_id: str) -> tuple[bytes, str]:
        voice = self.services.voices.get(voice_id)
        for s in voice.samples or []:
            if s["sample_id"] == sample_id:
                return self.blobs.get(f"voices/{voice_id}/{sample_id}"), s.get("mime_type") or "audio/mpeg"
        raise PolyvoxError(f"Voice {voice_id} has no sample {sample_id!r}.", code="sample_not_found", status=404)

    # ------------------------------------------------------------------ voices
    def add_voice(self, *, name: str, uploads: list[SampleUpload], description: str | None,
                  labels: dict[str, str] | None, remove_background_noise: bool, key_id: str | None,
                  refine: bool = True) -> Voice:
        """Create a cloned voice, usable at once; the full search runs as a job when ``refine``."""
        if not name or not name.strip():
            raise InvalidRequest("Voice name must not be empty.", code="invalid_name")
        prepared = self.prepare(uploads, remove_background_noise=remove_background_noise)
        self._check_length([p.sample for p in prepared])
        voice_id = uuid.uuid4().hex[:20]
        language = (labels or {}).get("language") or "en"
        try:
            self._store_samples(voice_id, prepared)
            reference = self._reference([p.clean for p in prepared])
            asset, info = self._first_guess(reference, language)
            digest = self._put_asset(voice_id, asset)
            self._store_f5_reference(voice_id, [p.clean for p in prepared])
            info |= {"state": "refining" if refine else "ready", "asset": digest,
                     "consent": {"confirmed_by_key": key_id, "at_unix": int(time.time())}}
            voice = self.services.voices.create(
                voice_id=voice_id, name=name.strip(), category="cloned", description=description or "",
                labels=labels or {}, engines=self._bindings(voice_id, digest), language=language,
                samples=[p.sample for p in prepared], owner_key_id=key_id, lab=info)
        except BaseException:
            self._delete_blobs(voice_id, [p.sample for p in prepared], extra=["reference.wav"])
            raise
        if refine:
            self.enqueue_refine(voice_id, key_id)
        return voice

    def add_samples(self, voice_id: str, uploads: list[SampleUpload], *, remove_background_noise: bool,
                    key_id: str | None) -> None:
        voice = self._own(voice_id)
        prepared = self.prepare(uploads, remove_background_noise=remove_background_noise)
        self._store_samples(voice_id, prepared)
        samples = list(voice.samples or []) + [p.sample for p in prepared]
        self.services.voices.update_made(voice_id, samples=samples, lab=(voice.lab or {}) | {"state": "refining"})
        self.enqueue_refine(voice_id, key_id)

    def delete_sample(self, voice_id: str, sample_id: str, key_id: str | None) -> None:
        voice = self._own(voice_id)
        samples = [s for s in voice.samples or [] if s["sample_id"] != sample_id]
        if len(samples) == len(voice.samples or []):
            raise PolyvoxError(f"Voice {voice_id} has no sample {sample_id!r}.", code="sample_not_found", status=404)
        if voice.category == "cloned":
            self._check_length(samples)
        self.services.voices.update_made(voice_id, samples=samples,
                                         lab=(voice.lab or {}) | ({"state": "refining"} if voice.category == "cloned"
                                                                  else {}))
        self._delete_blobs(voice_id, [s for s in voice.samples or [] if s["sample_id"] == sample_id])
        if voice.category == "cloned":
            self.enqueue_refine(voice_id, key_id)

    def create_voice(self, *, name: str, description: str | None, labels: dict[str, str] | None, category: str,
                     asset: KokoroVoiceAsset, lab_info: dict, key_id: str | None = None,
                     language: str = "en", voice_id: str | None = None,
                     extra_engines: dict[str, str] | None = None) -> Voice:
        """Store ``asset`` and create a voice bound to it (designed voices); ``extra_engines`` are
        further bindings (a Parler-designed voice keeps its Parler spec beside its Kokoro asset)."""
        voice_id = voice_id or uuid.uuid4().hex[:20]
        digest = self._put_asset(voice_id, asset)
        try:
            return self.services.voices.create(
                voice_id=voice_id, name=name.strip(), category=category, description=description or "",
                labels=labels or {}, engines={**(extra_engines or {}), "kokoro": kokoro_spec(f"{voice_id}/{digest}")},
                language=language,
                samples=[], owner_key_id=key_id, lab=lab_info | {"state": "ready", "asset": digest})
        except BaseException:
            self.blobs.delete(f"voices/{voice_id}/kokoro-{digest}.npz")
            raise

    def delete_assets(self, voice: Voice) -> None:
        """Remove every blob a made voice owns (after its row is gone)."""
        self._delete_blobs(voice.voice_id, voice.samples or [],
                           extra=["reference.wav", "reference.txt", "preview.mp3"]
                           + [f"kokoro-{d}.npz" for d in (voice.lab or {}).get("assets", [])]
                           + ([f"kokoro-{voice.lab['asset']}.npz"] if (voice.lab or {}).get("asset") else []))
        self._forget_f5(voice.voice_id)

    def _own(self, voice_id: str) -> Voice:
        voice = self.services.voices.get(voice_id)
        if voice.category == "premade":
            raise PolyvoxError("Premade voices cannot be edited.", code="voice_not_editable", status=400)
        return voice

    def _delete_blobs(self, voice_id: str, samples: list[dict], extra: list[str] = ()) -> None:
        for s in samples:
            for suffix in ("", ".clean.wav"):
                self.blobs.delete(f"voices/{voice_id}/{s['sample_id']}{suffix}")
        for name in extra:
            self.blobs.delete(f"voices/{voice_id}/{name}")

    def _put_asset(self, voice_id: str, asset: KokoroVoiceAsset) -> str:
        data = asset.to_bytes()
        digest = hashlib.sha256(data).hexdigest()[:16]
        self.blobs.put(f"voices/{voice_id}/kokoro-{digest}.npz", data)
        return digest

    def _bindings(self, voice_id: str, digest: str) -> dict[str, str]:
        engines = {"kokoro": kokoro_spec(f"{voice_id}/{digest}")}
        if "f5" in self.services.engines.names():
            engines["f5"] = voice_id
        return engines

    def _forget_f5(self, voice_id: str) -> None:
        if "f5" in self.services.engines.names():
            engine = self.services.engines.peek("f5")
            forget = getattr(engine, "forget", None)
            if forget is not None:
                forget(voice_id)

    # ------------------------------------------------------------------ cloning
    @staticmethod
    def _reference(clips: list[np.ndarray]) -> np.ndarray:
        """16 kHz speech for the analysis: the clips joined, at most MAX_REFERENCE_SECONDS."""
        x = np.concatenate([dsp.resample(c, SAMPLE_RATE, analysis.RATE) for c in clips])
        return x[: int(MAX_REFERENCE_SECONDS * analysis.RATE)]

    def _first_guess(self, reference: np.ndarray, language: str) -> tuple[KokoroVoiceAsset, dict]:
        """The stock blend whose cached embeddings best explain the reference (no synthesis)."""
        with self.engine_context() as (_engine, embedder, space, stock):
            opt = CloneOptions(language=language)
            ref = analysis.profile(reference, embedder)
            start = clone.rank_stock(stock, ref, opt)
            best_stock = start.best_stock
            point = clone.nnls_blend(stock, [n for n, _ in start.ranked[: opt.top_k]], ref.embedding)
            asset = KokoroVoiceAsset(style=space.compose(point), english=clone.english_of(point.weights))
        return asset, {"method": "kokoro-style-search", "stage": "stock-blend", "style": point.describe(),
                       "best_stock_voice": best_stock[0], "best_stock_similarity": round(best_stock[1], 4)}

    def _store_f5_reference(self, voice_id: str, clips: list[np.ndarray]) -> None:
        """The clip a zero-shot engine conditions on: the longest sample, cut to 4-12 s."""
        best = max(clips, key=len)
        clip = best[: int(12 * SAMPLE_RATE)]
        self.blobs.put(f"voices/{voice_id}/reference.wav", _wav_bytes(clip, SAMPLE_RATE))
        self.blobs.delete(f"voices/{voice_id}/reference.txt")
        self._forget_f5(voice_id)

    def enqueue_refine(self, voice_id: str, key_id: str | None) -> str:
        from polyvox.services import async_jobs

        job_id = async_jobs.submit(self.services, CLONE_JOB, {"voice_id": voice_id}, key_id=key_id)
        voice = self.services.voices.get(voice_id)
        self.services.voices.update_made(voice_id, lab=(voice.lab or {}) | {"job_id": job_id, "state": "refining"})
        return job_id

    def refine(self, voice_id: str, progress: Callable[[float, str], None] | None = None,
               options: CloneOptions | None = None) -> dict:
        """Run the full style search for a cloned voice and bind the result (the job's body)."""
        voice = self.services.voices.get(voice_id)
        clips = self._clean_audio(voice)
        self._check_length(voice.samples or [])
        reference = self._reference(clips)
        opts = options or CloneOptions(language=voice.language or "en",
                                       generations=self.services.settings.engines.clone_generations)
        with self.engine_context() as (engine, embedder, space, stock):
            result = clone_voice(engine, embedder, space, stock, reference, opts, progress)
        digest = self._put_asset(voice_id, result.asset)
        self._store_f5_reference(voice_id, clips)
        try:
            current = self.services.voices.get(voice_id)
        except VoiceNotFound:  # deleted while we searched: leave nothing behind
            self._delete_blobs(voice_id, [], extra=[f"kokoro-{digest}.npz", "reference.wav"])
            raise
        old = (current.lab or {}).get("asset")
        lab = (current.lab or {}) | {"state": "ready", "stage": "searched", "asset": digest, **result.report()}
        self.services.voices.update_made(voice_id, engines=self._bindings(voice_id, digest), lab=lab)
        if old and old != digest:
            self.blobs.delete(f"voices/{voice_id}/kokoro-{old}.npz")
        self.blobs.delete(f"voices/{voice_id}/preview.mp3")  # the preview was of the first guess
        return {"voice_id": voice_id, **result.report()}


# the job kind (see services/async_jobs.py) ------------------------------------------------
def run(services, ctx, params: dict) -> dict:
    lab = services.component(VoiceLabService)
    voice_id = params["voice_id"]
    try:
        return lab.refine(voice_id, progress=lambda f, m: ctx.progress(f, m))
    except VoiceNotFound:
        return {"voice_id": voice_id, "state": "deleted"}
    except Retry:  # a shutdown: the job resumes at the next start
        raise
    except Cancelled:  # the voice keeps the style it had
        voice = services.voices.get(voice_id)
        services.voices.update_made(voice_id, lab=(voice.lab or {}) | {"state": "ready"})
        raise
    except Exception as e:
        # the voice keeps its first (stock-blend) style; say so on the voice, then fail the job
        try:
            voice = services.voices.get(voice_id)
            services.voices.update_made(voice_id, lab=(voice.lab or {}) | {"state": "failed", "error": str(e)})
        except VoiceNotFound:
            pass
        raise


__all__ = ["CLONE_JOB", "MIN_SECONDS", "SampleUpload", "VoiceLabService", "run"]
