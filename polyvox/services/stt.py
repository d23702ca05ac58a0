"""Speech to text: validate a request, decode the file, transcribe, diarize, shape the words.

Service-level API (what routes, the CLI and other capabilities call)::

    stt = services.component(SttService)
    req = SttRequest(model_id="scribe_v1", language_code="en", diarize=True)
    plan = stt.plan(req)                                   # errors before any work
    result = await stt.transcribe(path, plan, principal)   # thread pool + concurrency slot
    result = stt.transcribe_file(path, plan)               # the same, synchronously
    result = stt.transcribe_array(pcm16k, plan)            # already-decoded 16 kHz mono audio
    body = elevenlabs_body(result, "word")                 # wire shapes in services/stt_formats.py

``result.words`` carry start/end (seconds), ``type`` and ``speaker_id``; the voice changer
uses them as word timestamps. With ``tag_audio_events`` the signal-feature detector
(``engines/stt/events.py``) adds ``(music)``, ``(crowd noise)`` and ``(noise)`` events between the
words; with ``diarize`` ``result.overlaps`` lists where two speakers talk at once.

Long inputs: the route answers synchronously as ElevenLabs does, while the work runs in the
engine thread pool and reports progress (logged every 10 %, shown by ``polyvox stt``); with
``webhook=true`` it runs as a job instead (``services/stt_jobs.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from polyvox.audio.decode import AudioDecodeError
from polyvox.audio.stream_decode import StreamingDecoder
from polyvox.engines.stt.diarize import (
    DiarizationOptions,
    Diarizer,
    SpeakerEmbedder,
    speaker_at,
    speech_regions,
)
from polyvox.engines.stt.engine import DecodeOptions, WhisperSttEngine, available_models, is_audio_event
from polyvox.engines.stt.events import AudioEvent, detect_events
from polyvox.engines.stt.languages import to_iso639_3, to_whisper
from polyvox.engines.stt.overlap import detect_overlaps
from polyvox.engines.stt.whisper import WhisperTranscriber
from polyvox.errors import EngineFailure, InvalidRequest, ModelNotFound, PolyvoxError, UnsupportedLanguage
from polyvox.jobs import Cancelled
from polyvox.services import media_input
from polyvox.services.webhooks import WebhookTarget

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
Granularity = Literal["none", "word", "character"]
SCRIBE_MODELS = ("scribe_v1", "scribe_v1_experimental", "scribe_v2")
OPENAI_MODELS = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")


class SttSettings(BaseSettings):
    """``POLYVOX_STT__*`` settings (nested under the main settings once the lead wires them in)."""

    model_config = SettingsConfigDict(env_prefix="POLYVOX_STT__", extra="ignore")

    model: str = "base"
    """Whisper model behind scribe_v1 / whisper-1: ``base``, ``tiny.en`` or a folder name under
    ``<data_dir>/models/whisper/`` (e.g. ``large-v3``)."""
    english_model: str | None = None
    """Model used instead when the request says the language is English (e.g. ``tiny.en``)."""
    max_upload_mb: float = Field(1000.0, gt=0)
    """Largest file (upload or URL) accepted, in MB."""
    max_seconds: float = Field(4 * 3600.0, gt=0)
    """Longest audio accepted, in seconds."""
    url_timeout_seconds: float = Field(60.0, gt=0)
    allow_url_input: bool = True
    """Accept ``cloud_storage_url``: the server then fetches any http(s) URL a caller names."""
    vad_filter: bool = True
    beam_size: int = Field(5, ge=1)
    diarization_threshold: float = Field(0.35, gt=0, lt=2)
    """Cosine distance at which speaker clusters stop merging (see docs/speech-to-text.md)."""
    detect_overlap: bool = True
    """With ``diarize``: find stretches where two speakers talk at once (``speaker_overlaps``)."""
    threads: int = Field(0, ge=0)
    webhooks: list[WebhookTarget] = Field(default_factory=list)
    """Where ``webhook=true`` transcriptions are POSTed when done (JSON list of ``{"webhook_id", "url",
    "secret"}``); a request's ``webhook_id`` picks one, otherwise all get it."""
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    webhook_attempts: int = Field(3, ge=1, le=10)


@dataclass
class SttRequest:
    model_id: str = "scribe_v1"
    language_code: str | None = None
    tag_audio_events: bool = True
    num_speakers: int | None = None
    timestamps_granularity: Granularity = "word"
    diarize: bool = False
    diarization_threshold: float | None = None
    """ElevenLabs' 0.1-0.4 scale (default 0.22), mapped onto our cosine distance threshold."""
    file_format: str | None = None
    temperature: float | None = None
    prompt: str | None = None


@dataclass(frozen=True)
class SttPlan:
    req: SttRequest
    model: str
    """Engine model name (``base``, ``tiny.en``, a user folder)."""
    language: str | None
    """Whisper code, None = detect."""


@dataclass
class SttCharacter:
    text: str
    start: float
    end: float


@dataclass
class SttWord:
    text: str
    start: float
    end: float
    type: Literal["word", "spacing", "audio_event"]
    speaker_id: str | None = None
    logprob: float | None = None
    characters: list[SttCharacter] | None = None


@dataclass
class SttSegment:
    text: str
    start: float
    end: float
    avg_logprob: float
    no_speech_prob: float
    speaker_id: str | None = None


@dataclass
class SttOverlap:
    """A stretch where two speakers talk at once (polyvox's ``speaker_overlaps``, beyond Scribe's schema)."""

    start: float
    end: float
    speaker_ids: tuple[str, str]


@dataclass
class TranscriptionResult:
    text: str
    language: str
    """Whisper (ISO 639-1) code."""
    language_probability: float
    duration: float
    words: list[SttWord] = field(default_factory=list)
    segments: list[SttSegment] = field(default_factory=list)
    model: str = ""
    overlaps: list[SttOverlap] | None = None
    """Set when diarizing with overlap detection on (empty list: none found)."""

    @property
    def language_code(self) -> str:
        """ISO 639-3, as Scribe answers."""
        return to_iso639_3(self.language)


Progress = Callable[[float], None]


class SttService:
    def __init__(self, *, engines, pool, limiter, models_dir: Path, tmp_dir: Path, settings: SttSettings,
                 threads: int = 0) -> None:
        self.engines = engines
        self.threads = threads
        self.pool = pool
        self.limiter = limiter
        self.models_dir = Path(models_dir)
        self.tmp_dir = tmp_dir
        self.settings = settings
        self._embedder: SpeakerEmbedder | None = None

    @classmethod
    def build(cls, services) -> SttService:
        settings = getattr(services.settings, "stt", None) or SttSettings()
        tmp = media_input.temp_dir(services.settings.data_dir)
        media_input.sweep(tmp)
        threads = settings.threads or services.settings.engines.threads
        svc = cls(engines=services.engines, pool=services.pool, limiter=services.limiter,
                  models_dir=services.settings.models_dir, tmp_dir=tmp, settings=settings, threads=threads)
        if "speaker-embedding" not in services.engines.names():
            services.engines.register("speaker-embedding", lambda: SpeakerEmbedder(threads=1))
        return svc

    # limits ---------------------------------------------------------------------------
    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_upload_mb * 1e6)

    # validation -----------------------------------------------------------------------
    def models(self) -> dict[str, Path | str]:
        return available_models(self.models_dir)

    def _model_for(self, model_id: str | None) -> str:
        mid = (model_id or "scribe_v1").strip()
        if mid in SCRIBE_MODELS or mid in OPENAI_MODELS:
            return self.settings.model
        known = self.models()
        name = mid[len("whisper-"):] if mid.startswith("whisper-") and mid[len("whisper-"):] in known else mid
        if name in known:
            return name
        raise ModelNotFound(f"Model {mid!r} is not a speech-to-text model on this server. Use "
                            f"{', '.join(SCRIBE_MODELS[:1] + OPENAI_MODELS[:1])} or one of: {', '.join(known)}.")

    def plan(self, req: SttRequest) -> SttPlan:
        """Check everything a request can get wrong before any audio is touched."""
        if req.timestamps_granularity not in ("none", "word", "character"):
            raise InvalidRequest("timestamps_granularity must be none, word or character.")
        if req.num_speakers is not None and not 1 <= req.num_speakers <= 32:
            raise InvalidRequest("num_speakers must be between 1 and 32.")
        if req.file_format not in (None, "other", "pcm_s16le_16"):
            raise InvalidRequest("file_format must be 'pcm_s16le_16' or 'other'.")
        if req.temperature is not None and not 0.0 <= req.temperature <= 2.0:
            raise InvalidRequest("temperature must be between 0 and 2.")
        model = self._model_for(req.model_id)
        language = None
        if req.language_code:
            language = to_whisper(req.language_code)
            if language is None:
                raise UnsupportedLanguage(f"Language code {req.language_code!r} is not supported for speech "
                                          "to text. Use an ISO 639-1 or 639-3 code such as 'en' or 'eng'.")
            if language == "en" and self.settings.english_model and req.model_id in SCRIBE_MODELS + OPENAI_MODELS:
                model = self.settings.english_model
            if model.endswith(".en") and language != "en":
                raise UnsupportedLanguage(f"Model {model} transcribes English only; got language "
                                          f"{req.language_code!r}.")
        return SttPlan(req=req, model=model, language=language)

    # work -----------------------------------------------------------------------------
    def _engine_name(self, model: str) -> str:
        name = f"stt:{model}"
        if name not in self.engines.names():
            spec = self.models()[model]
            try:
                self.engines.register(name, lambda: WhisperSttEngine(self.models_dir, model=spec,
                                                                      threads=self.threads))
            except ValueError:  # registered by a concurrent request
                pass
        return name

    def transcriber(self, model: str) -> WhisperTranscriber:
        """The loaded Whisper ``model`` (``base``, ``tiny.en`` or an installed one), shared with
        whoever else needs it, so each model is in memory once."""
        return self.engines.get_loaded(self._engine_name(model)).transcriber

    def decode(self, path: Path, plan: SttPlan) -> np.ndarray:
        """16 kHz mono float32 of an uploaded file (video: its first audio track)."""
        try:
            with StreamingDecoder(path, SAMPLE_RATE, max_seconds=self.settings.max_seconds,
                                  file_format=plan.req.file_format, min_chunk=SAMPLE_RATE * 10) as dec:
                return dec.read_all()
        except AudioDecodeError as e:
            raise media_input.decode_error(e) from e

    def probe(self, path: Path, plan: SttPlan) -> float | None:
        """Check that a file decodes (its first frames) before a job is queued; its duration if known."""
        try:
            with StreamingDecoder(path, SAMPLE_RATE, max_seconds=self.settings.max_seconds,
                                  file_format=plan.req.file_format) as dec:
                return dec.duration_hint
        except AudioDecodeError as e:
            raise media_input.decode_error(e) from e

    def transcribe_file(self, path: Path, plan: SttPlan, progress: Progress | None = None) -> TranscriptionResult:
        return self.transcribe_array(self.decode(path, plan), plan, progress)

    def transcribe_array(self, audio: np.ndarray, plan: SttPlan,
                         progress: Progress | None = None) -> TranscriptionResult:
        """Transcribe 16 kHz mono ``audio`` (synchronous; call it from a worker thread)."""
        req = plan.req
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        report = _ProgressLog(progress, audio.shape[0] / SAMPLE_RATE)
        options = DecodeOptions(language=plan.language, word_timestamps=True, vad_filter=self.settings.vad_filter,
                                beam_size=self.settings.beam_size, temperature=req.temperature,
                                initial_prompt=req.prompt, allow_events=req.tag_audio_events)
        try:
            with self.engines.acquire(self._engine_name(plan.model)) as engine:
                _check_language(engine, plan)
                out = engine.transcribe(audio, options, progress=lambda f: report(0.9 * f if req.diarize else f))
        except (PolyvoxError, Cancelled):
            raise
        except ValueError as e:
            raise InvalidRequest(str(e)) from e
        except Exception as e:
            raise EngineFailure(f"Transcription failed: {e}") from e
        t = out.transcript
        words = _shape_words(t.words, req.tag_audio_events, t.language)
        segments = [SttSegment(s.text.strip(), s.start, s.end, s.avg_logprob, s.no_speech_prob) for s in t.segments]
        overlaps = self._diarize(audio, words, segments, req) if req.diarize else None
        if req.tag_audio_events:  # between the words and outside what the VAD calls speech
            spoken = [(w.start, w.end) for w in words if w.type != "spacing"] + speech_regions(audio)
            words = _with_events(words, detect_events(audio, spoken), t.language)
        report(1.0)
        if req.timestamps_granularity == "character":
            for w in words:
                w.characters = _characters(w)
        text = "".join(w.text for w in words) if words else t.text
        return TranscriptionResult(text=text.strip(), language=t.language,
                                   language_probability=t.language_probability, duration=t.duration,
                                   words=words, segments=segments, model=plan.model, overlaps=overlaps)

    def _diarize(self, audio: np.ndarray, words: list[SttWord], segments: list[SttSegment],
                 req: SttRequest) -> list[SttOverlap] | None:
        threshold = self.settings.diarization_threshold
        if req.diarization_threshold is not None:  # ElevenLabs' scale centres on 0.22
            threshold *= req.diarization_threshold / 0.22
        regions = speech_regions(audio)
        if not regions:
            regions = [(w.start, w.end) for w in words if w.type == "word"]
        with self.engines.acquire("speaker-embedding") as embedder:
            turns = Diarizer(embedder).diarize(audio, regions, DiarizationOptions(
                window=2.0, hop=0.5, threshold=threshold, max_speakers=req.num_speakers))
            found = detect_overlaps(embedder, audio, turns) if self.settings.detect_overlap else None
        for w in words:
            if w.type != "spacing":
                spk = speaker_at(turns, w.start, w.end)
                w.speaker_id = None if spk is None else f"speaker_{spk}"
        for i, w in enumerate(words):  # a space belongs to the word before it
            if w.type == "spacing":
                w.speaker_id = words[i - 1].speaker_id if i else None
        for s in segments:
            spk = speaker_at(turns, s.start, s.end)
            s.speaker_id = None if spk is None else f"speaker_{spk}"
        if found is None:
            return None
        return [SttOverlap(o.start, o.end, (f"speaker_{o.speakers[0]}", f"speaker_{o.speakers[1]}")) for o in found]

    async def transcribe(self, path: Path, plan: SttPlan, key_id: str | None = None,
                         progress: Progress | None = None) -> TranscriptionResult:
        """Run :meth:`transcribe_file` in the engine pool under the caller's concurrency slot."""
        if key_id is not None:
            self.limiter.acquire(key_id)
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, self.transcribe_file, path, plan, progress)
        finally:
            if key_id is not None:
                self.limiter.release(key_id)

    async def fetch(self, url: str) -> Path:
        if not self.settings.allow_url_input:
            raise InvalidRequest("cloud_storage_url is disabled on this server (POLYVOX_STT__ALLOW_URL_INPUT).",
                                 code="url_input_disabled")
        return await media_input.fetch_url(url, self.tmp_dir, self.max_bytes, self.settings.url_timeout_seconds)


def _check_language(engine: WhisperSttEngine, plan: SttPlan) -> None:
    """Models a user adds only say whether they are English-only once loaded."""
    if plan.language is None:
        return
    if not engine.multilingual and plan.language != "en":
        raise UnsupportedLanguage(f"Model {plan.model} transcribes English only; got language "
                                  f"{plan.req.language_code!r}.")
    if engine.multilingual and plan.language not in engine.languages:
        raise UnsupportedLanguage(f"Model {plan.model} does not know language {plan.req.language_code!r}.")


class _ProgressLog:
    """Forwards progress and logs it every 10 % for long files."""

    def __init__(self, cb: Progress | None, seconds: float) -> None:
        self.cb, self.seconds, self._next = cb, seconds, 0.1

    def __call__(self, fraction: float) -> None:
        if self.cb:
            self.cb(fraction)
        if self.seconds >= 120 and fraction >= self._next:
            logger.info("transcribing %.0f s of audio: %d%%", self.seconds, int(fraction * 100))
            while self._next <= fraction:
                self._next += 0.1


_UNSPACED = frozenset({"zh", "ja", "th", "lo", "my", "km", "bo", "yue"})
"""Languages written without spaces between words: no spacing entries between their words."""


def _shape_words(raw, keep_events: bool, language: str = "en") -> list[SttWord]:
    """Whisper words -> ElevenLabs words with explicit spacing entries.

    Whisper marks a word boundary with a leading space; a piece without one (``accident``
    after ``l'``, a split contraction) continues the previous word and is joined to it.
    """
    spaced = language not in _UNSPACED
    out: list[SttWord] = []
    for w in raw:
        text = w.text.strip()
        if not text:
            continue
        kind = "audio_event" if is_audio_event(text) else "word"
        if kind == "audio_event" and not keep_events:
            continue
        start, end = round(w.start, 3), round(max(w.end, w.start), 3)
        logprob = float(np.log(max(w.probability, 1e-6)))
        if spaced and out and out[-1].type == "word" and kind == "word" and not w.text[:1].isspace():
            prev = out[-1]
            prev.text += text
            prev.end = max(prev.end, end)
            prev.logprob = min(prev.logprob or 0.0, logprob)
            continue
        if out and spaced:
            prev = out[-1]
            out.append(SttWord(" ", prev.end, max(prev.end, start), "spacing"))
        out.append(SttWord(text, start, end, kind, logprob=logprob))
    return out


def _with_events(words: list[SttWord], events: list[AudioEvent], language: str) -> list[SttWord]:
    """``words`` with the detector's events put in time order, spacing entries rebuilt around them."""
    if not events:
        return words
    items = [w for w in words if w.type != "spacing"]
    items += [SttWord(e.text, e.start, e.end, "audio_event", logprob=0.0) for e in events]
    items.sort(key=lambda w: w.start)
    if language in _UNSPACED:
        return items
    out: list[SttWord] = []
    for w in items:
        if out:
            prev = out[-1]
            out.append(SttWord(" ", prev.end, max(prev.end, w.start), "spacing", speaker_id=prev.speaker_id))
        out.append(w)
    return out


def _characters(w: SttWord) -> list[SttCharacter]:
    """Characters share the word's span evenly (Whisper gives word-level times only)."""
    n = max(1, len(w.text))
    step = (w.end - w.start) / n
    return [SttCharacter(c, round(w.start + i * step, 3), round(w.start + (i + 1) * step, 3))
            for i, c in enumerate(w.text)]


__all__ = ["SttCharacter", "SttOverlap", "SttPlan", "SttRequest", "SttSegment", "SttService", "SttSettings", "SttWord",
           "TranscriptionResult"]
