"""Text to speech: validate a request, then stream it segment by segment.

``plan`` checks everything a request can get wrong (voice, model, language, format,
length, quota, concurrency) before the first byte, so routes can still answer with a
proper error status. ``stream`` then renders segments in the engine pool, one segment
ahead of the one being sent, and pushes them through one continuous encoder per
response. Each chunk carries the alignment of the original characters it covers.

Continuity across segments and requests:
- every segment is matched to one loudness target (the one measured on the cited
  ``previous_request_ids`` when given), so level stays even;
- pauses between segments follow the punctuation that ended the previous one;
- ``previous_text``/``next_text`` (or the texts of cited requests) are synthesized as
  context around the first/last segment and cut away using the engine's alignment, so
  intonation continues instead of resetting at the request boundary.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from polyvox.audio import dsp
from polyvox.audio.encoder import StreamEncoder
from polyvox.audio.formats import OutputFormat, parse_output_format
from polyvox.engines.manager import EngineManager
from polyvox.engines.tts.base import SynthesisRequest, VoiceSettings
from polyvox.errors import (EngineFailure, InvalidOutputFormat, InvalidRequest, MaxCharacterLimitExceeded,
                            UnsupportedLanguage)
from polyvox.services.history import HistoryService, NewHistoryItem
from polyvox.services.keys import KeyService, Principal
from polyvox.services.limits import Limiter
from polyvox.services.models import LANGUAGE_NAMES, ModelSpec, get_model
from polyvox.services.voices import VoiceService, settings_from_dict
from polyvox.store.models import Voice
from polyvox.text.segment import Segment, segment_text

logger = logging.getLogger(__name__)

TARGET_LUFS = -19.0
_PAUSES = {".": 0.28, "!": 0.28, "?": 0.3, "…": 0.35, ";": 0.16, ":": 0.14, ",": 0.1, "—": 0.12, "\n": 0.45}
_FADE_MS = 4.0
_CONTEXT_CHARS = 80


@dataclass
class TTSRequest:
    text: str
    voice_id: str
    model_id: str | None = None
    language_code: str | None = None
    voice_settings: dict[str, Any] | None = None
    seed: int | None = None
    previous_text: str | None = None
    next_text: str | None = None
    previous_request_ids: list[str] = field(default_factory=list)
    next_request_ids: list[str] = field(default_factory=list)
    apply_text_normalization: str = "auto"
    output_format: str = "mp3_44100_128"
    enable_logging: bool = True
    source: str = "TTS"
    billable: bool = True
    """False for the server's own renders (voice previews): no quota check, no charge."""


class AdmissionSlot:
    """A held concurrency slot; ``release`` is idempotent."""

    def __init__(self, limiter: Limiter, key_id: str) -> None:
        self._limiter, self._key, self._held = limiter, key_id, True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._limiter.release(self._key)


@dataclass
class Plan:
    """A validated request: everything ``stream`` needs, decided before the first byte."""

    request_id: str
    history_item_id: str
    principal: Principal
    req: TTSRequest
    model: ModelSpec
    voice: Voice
    engine: str
    engine_voice: str
    language: str
    settings: VoiceSettings
    fmt: OutputFormat
    segments: list[Segment]
    target_lufs: float
    context_before: str
    context_after: str
    slot: AdmissionSlot | None = None

    @property
    def character_cost(self) -> int:
        return len(self.req.text)


@dataclass
class Chunk:
    audio: bytes
    """Encoded bytes in the requested format (may be empty for a tiny segment)."""
    chars: list[str]
    """Original characters this chunk covers (in order, with the whitespace before them)."""
    starts: list[float]
    """Seconds from the start of the response."""
    ends: list[float]
    pcm_seconds: float
    """Audio duration this chunk adds."""


@dataclass
class _Rendered:
    pcm: np.ndarray
    chars: list[str]
    starts: list[float]
    ends: list[float]


class TTSService:
    def __init__(self, *, engines: EngineManager, voices: VoiceService, history: HistoryService,
                 keys: KeyService, limiter: Limiter, pool: ThreadPoolExecutor, character_limit: int = 0) -> None:
        self.engines = engines
        self.voices = voices
        self.history = history
        self.keys = keys
        self.limiter = limiter
        self.pool = pool
        self.character_limit = character_limit

    # validation ----------------------------------------------------------------------
    def plan(self, principal: Principal, req: TTSRequest, *, first_max: int | None = 60) -> Plan:
        if not req.text or not req.text.strip():
            raise InvalidRequest("Text must not be empty.", code="empty_text")
        model = get_model(req.model_id)
        if len(req.text) > model.max_characters:
            raise MaxCharacterLimitExceeded(
                f"Text is {len(req.text)} characters long; model {model.model_id} accepts at most "
                f"{model.max_characters} characters per request.")
        try:
            fmt = parse_output_format(req.output_format)
        except ValueError as e:
            raise InvalidOutputFormat(str(e)) from e
        voice = self.voices.get(req.voice_id)
        engine = self.engines.peek(model.engine)
        language = self._language(req, model, voice, engine.info.languages)
        engine_voice = self.voices.binding(voice, model.engine, language)
        settings = settings_from_dict(req.voice_settings, settings_from_dict(voice.settings))
        _check_settings(settings)
        cited = self.history.stitch_info(req.previous_request_ids[:3])
        levels = [c.loudness_lufs for c in cited if c.loudness_lufs is not None]
        before = " ".join(c.text for c in cited) if cited else (req.previous_text or "")
        after_cited = self.history.stitch_info(req.next_request_ids[:3])
        after = " ".join(c.text for c in after_cited) if after_cited else (req.next_text or "")
        if req.billable:
            self.keys.check_quota(principal.key_id, len(req.text), self.character_limit)
        return Plan(request_id=uuid.uuid4().hex, history_item_id=uuid.uuid4().hex[:20], principal=principal, req=req,
                    model=model, voice=voice, engine=model.engine, engine_voice=engine_voice, language=language,
                    settings=settings, fmt=fmt, segments=segment_text(req.text, first_max=first_max),
                    target_lufs=float(np.mean(levels)) if levels else TARGET_LUFS,
                    context_before=_tail(before), context_after=_head(after))

    @staticmethod
    def _language(req: TTSRequest, model: ModelSpec, voice: Voice, engine_langs: frozenset[str]) -> str:
        allowed = set(model.languages) if model.languages else set(engine_langs)
        if req.language_code:
            code = req.language_code.lower().split("-")[0]
            if code not in allowed:
                name = LANGUAGE_NAMES.get(code, code)
                raise UnsupportedLanguage(
                    f"Model {model.model_id} cannot speak {name} ({code}) on this server. It speaks: "
                    f"{', '.join(sorted(allowed))}. For other languages use model 'espeak' (100+ languages).")
            return code
        return voice.language if voice.language in allowed else ("en" if "en" in allowed else sorted(allowed)[0])

    # generation ----------------------------------------------------------------------
    async def stream(self, plan: Plan, *, encoder: StreamEncoder | None = None,
                     finalize: bool = True) -> AsyncIterator[Chunk]:
        """Render and encode ``plan`` chunk by chunk, holding a concurrency slot throughout.

        The request is recorded in history (and charged) only when the whole stream was
        produced; a failure or a client that goes away leaves no trace. A WebSocket
        session passes its own ``encoder`` and ``finalize=False``, so that many
        generations form one continuous audio stream.
        """
        loop = asyncio.get_running_loop()
        if encoder is None:
            encoder = self.encoder(plan)
        kept: list[bytes] = []
        all_chars: list[str] = []
        all_starts: list[float] = []
        all_ends: list[float] = []
        clock = 0.0
        cursor = 0
        total_pcm = 0.0
        lufs: list[float] = []
        try:
            segs = plan.segments
            pending = loop.run_in_executor(self.pool, self._render, plan, 0, cursor)
            for i, seg in enumerate(segs):
                rendered, seg_lufs = await pending
                cursor = seg.end
                if i + 1 < len(segs):
                    pending = loop.run_in_executor(self.pool, self._render, plan, i + 1, cursor)
                if seg_lufs is not None:
                    lufs.append(seg_lufs)
                data = await loop.run_in_executor(self.pool, encoder.write, rendered.pcm)
                rate = self.engines.peek(plan.engine).info.sample_rate
                starts = [clock + t for t in rendered.starts]
                ends = [clock + t for t in rendered.ends]
                clock += len(rendered.pcm) / rate
                total_pcm += len(rendered.pcm) / rate
                if i + 1 == len(segs):
                    if finalize:
                        data += await loop.run_in_executor(self.pool, encoder.finish)
                    trailing = plan.req.text[cursor:]
                    rendered.chars += list(trailing)
                    starts += [clock] * len(trailing)
                    ends += [clock] * len(trailing)
                kept.append(data)
                all_chars += rendered.chars
                all_starts += starts
                all_ends += ends
                yield Chunk(data, rendered.chars, starts, ends, len(rendered.pcm) / rate)
            await loop.run_in_executor(self.pool, self._finish, plan, b"".join(kept), total_pcm,
                                       float(np.mean(lufs)) if lufs else None,
                                       {"characters": all_chars, "character_start_times_seconds": all_starts,
                                        "character_end_times_seconds": all_ends})
        finally:
            if plan.slot:
                plan.slot.release()

    def encoder(self, plan: Plan) -> StreamEncoder:
        return StreamEncoder(plan.fmt, self.engines.peek(plan.engine).info.sample_rate)

    def admit(self, plan: Plan) -> AdmissionSlot:
        """Take a concurrency slot for ``plan`` (429 when none is free).

        ``stream`` gives it back when it ends; routes also release it in a background task,
        which covers a response whose stream never started.
        """
        self.limiter.acquire(plan.principal.key_id)
        plan.slot = AdmissionSlot(self.limiter, plan.principal.key_id)
        return plan.slot

    def _render(self, plan: Plan, index: int, cursor: int) -> tuple[_Rendered, float | None]:
        seg = plan.segments[index]
        first, last = index == 0, index == len(plan.segments) - 1
        before = plan.context_before if first else ""
        after = plan.context_after if last else ""
        spoken = f"{before} {seg.text} {after}".strip() if (before or after) else seg.text
        offset = len(before) + 1 if before else 0
        seed = None if plan.req.seed is None else (plan.req.seed + index) % 2**32
        try:
            with self.engines.acquire(plan.engine) as engine:
                rate = engine.info.sample_rate
                syn = engine.synthesize(SynthesisRequest(text=spoken, voice=plan.engine_voice,
                                                         language=plan.language, settings=plan.settings, seed=seed))
        except ValueError as e:
            raise InvalidRequest(str(e), code="invalid_request") from e
        except Exception as e:
            raise EngineFailure(f"The {plan.engine} engine failed on segment {index + 1}: {e}") from e
        pcm = np.asarray(syn.audio, dtype=np.float32)
        starts = np.asarray(syn.char_starts, dtype=np.float64)[offset: offset + len(seg.text)]
        ends = np.asarray(syn.char_ends, dtype=np.float64)[offset: offset + len(seg.text)]
        if before or after:
            pcm, starts, ends = _cut_context(pcm, rate, starts, ends)
        if plan.settings.use_speaker_boost:
            pcm = dsp.presence_boost(pcm, rate, 2.5)
        pcm = dsp.peak_limit(dsp.match_loudness(pcm, rate, plan.target_lufs))
        # the level actually sent, which later requests citing this one will match
        seg_lufs = dsp.loudness_lufs(pcm, rate) if len(pcm) > rate * 0.4 else None
        pcm = dsp.fade_out(dsp.fade_in(pcm, rate, _FADE_MS), rate, _FADE_MS)
        # the pause that the previous segment's punctuation asks for goes in front of this one
        lead = 0.0
        if index > 0:
            prev = plan.segments[index - 1].text.rstrip("\"')] ")
            gap = plan.req.text[plan.segments[index - 1].end: seg.start]
            lead = _PAUSES["\n"] if "\n" in gap else _PAUSES.get(prev[-1:] if prev else "", 0.08)
            lead /= max(0.5, plan.settings.speed)
        pad = np.zeros(int(lead * rate), np.float32)
        pcm = np.concatenate([pad, pcm])
        gap_text = plan.req.text[cursor: seg.start]
        chars = list(gap_text) + list(seg.text)
        s = [0.0] * len(gap_text) + [lead + float(t) for t in starts]
        e = [lead] * len(gap_text) + [lead + float(t) for t in ends]
        return _Rendered(pcm, chars, s, e), seg_lufs

    async def render(self, principal: Principal, req: TTSRequest) -> bytes:
        """Plan, admit and render a whole request into bytes."""
        plan = self.plan(principal, req)
        self.admit(plan)
        return b"".join([c.audio async for c in self.stream(plan)])

    def _finish(self, plan: Plan, audio: bytes, seconds: float, lufs: float | None,
                alignment: dict[str, Any]) -> None:
        if not plan.req.billable:
            return
        text = plan.req.text
        rate = len(text.replace(" ", "")) / seconds if seconds > 0 else None
        self.history.record(NewHistoryItem(
            history_item_id=plan.history_item_id, request_id=plan.request_id, key_id=plan.principal.key_id,
            voice_id=plan.voice.voice_id, voice_name=plan.voice.name, voice_category=plan.voice.category,
            model_id=plan.model.model_id, text=text, content_type=plan.fmt.media_type,
            output_format=plan.fmt.name, settings=asdict(plan.settings), source=plan.req.source,
            duration_seconds=seconds, loudness_lufs=lufs, speaking_rate=rate,
            alignment=alignment), audio, log=plan.req.enable_logging)


def _check_settings(s: VoiceSettings) -> None:
    for name in ("stability", "similarity_boost", "style"):
        v = getattr(s, name)
        if not 0.0 <= v <= 1.0:
            raise InvalidRequest(f"voice_settings.{name} must be between 0 and 1, got {v}.",
                                 code="invalid_voice_settings")
    if not 0.7 <= s.speed <= 1.2:
        raise InvalidRequest(f"voice_settings.speed must be between 0.7 and 1.2, got {s.speed}.",
                             code="invalid_voice_settings")


def _tail(text: str) -> str:
    text = text.strip()
    if len(text) <= _CONTEXT_CHARS:
        return text
    cut = text.find(" ", len(text) - _CONTEXT_CHARS)
    return text[cut + 1:] if cut > 0 else text[-_CONTEXT_CHARS:]


def _head(text: str) -> str:
    text = text.strip()
    if len(text) <= _CONTEXT_CHARS:
        return text
    cut = text.rfind(" ", 0, _CONTEXT_CHARS)
    return text[:cut] if cut > 0 else text[:_CONTEXT_CHARS]


def _cut_context(pcm: np.ndarray, rate: int, starts: np.ndarray, ends: np.ndarray):
    """Keep only the audio of the request's own characters from a context-padded render."""
    if len(starts) == 0:
        return pcm, starts, ends
    t0 = max(0.0, float(starts[0]) - 0.03)
    t1 = min(len(pcm) / rate, float(ends[-1]) + 0.06)
    a, b = int(t0 * rate), max(int(t0 * rate) + 1, int(t1 * rate))
    return pcm[a:b], starts - t0, ends - t0


def alignment_payload(chars: list[str], starts: list[float], ends: list[float]) -> dict[str, Any]:
    return {"characters": chars, "character_start_times_seconds": [round(x, 3) for x in starts],
            "character_end_times_seconds": [round(x, 3) for x in ends]}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


__all__ = ["Chunk", "Plan", "TTSRequest", "TTSService", "alignment_payload", "b64"]
