"""One text-to-speech WebSocket connection: ``stream-input`` and ``multi-stream-input``.

A session runs two tasks. The *reader* receives client frames, appends text to the
buffer of its context and decides, by the context's ``chunk_length_schedule`` (or
``flush``, ``try_trigger_generation``, ``auto_mode``, end of stream), which pieces of
buffered text to generate; it queues those as jobs and goes straight back to receiving.
The *writer* runs the jobs in order: each piece is planned and validated by
``TTSService.plan`` and streamed through the context's one ``StreamEncoder``, so all the
audio of a context forms one continuous stream. The connection holds one concurrency
slot for its whole life.

Anything that ends a session early (a bad key, a bad parameter, an unknown voice,
``inactivity_timeout`` without input) is sent as ``{"message", "error", "code"}`` and
then the socket is closed with that code (1008, or 1011 for internal failures), as the
ElevenLabs service does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from polyvox.audio.encoder import StreamEncoder
from polyvox.audio.formats import parse_output_format
from polyvox.errors import PolyvoxError
from polyvox.services.container import Services
from polyvox.services.keys import Principal
from polyvox.services.tts import FIRST_SEGMENT, TTSRequest, b64
from polyvox.text.segment import _ABBREVIATIONS
from polyvox.text.ssml import safe_cut

logger = logging.getLogger(__name__)

DEFAULT_SCHEDULE = (120, 160, 250, 290)
SCHEDULE_RANGE = (50, 500)
AUTO_MODE_MAX = 500
"""auto_mode generates at sentence ends; a run-on buffer is cut at this length anyway."""
MAX_CONTEXTS = 16
MAX_TIMEOUT = 180.0
DEFAULT_CONTEXT = "default"
_PAUSE = {".": 0.28, "!": 0.28, "?": 0.3, "…": 0.35, "。": 0.28, "！": 0.28, "？": 0.3, ";": 0.16, ":": 0.14,
          ",": 0.1, "、": 0.1, "，": 0.1, "—": 0.12}
"""Silence put between two generations, by the punctuation that ended the first."""

_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|(?<=[。！？])\s*|\n\s*\n")
_CLAUSE = re.compile(r"(?<=[,;:—–])\s+|(?<=[、，；：])\s*")
_WORD = re.compile(r"\s+")


class SessionError(Exception):
    """Ends the session: sent as an error frame, then the socket closes with ``close_code``."""

    def __init__(self, message: str, error: str, close_code: int = 1008) -> None:
        super().__init__(message)
        self.message, self.error, self.close_code = message, error, close_code

    @classmethod
    def from_domain(cls, e: PolyvoxError) -> SessionError:
        return cls(e.message, e.code, 1011 if e.status >= 500 else 1008)

    def frame(self) -> dict[str, Any]:
        return {"message": self.message, "error": self.error, "code": self.close_code}


class _Disconnected(Exception):
    """The client went away; nothing more can be sent."""


# query parameters ----------------------------------------------------------------------
@dataclass(frozen=True)
class StreamOptions:
    voice_id: str
    model_id: str | None = None
    language_code: str | None = None
    enable_logging: bool = True
    output_format: str = "mp3_44100_128"
    inactivity_timeout: float = 20.0
    sync_alignment: bool = False
    auto_mode: bool = False
    apply_text_normalization: str = "auto"
    enable_ssml_parsing: bool = False
    seed: int | None = None
    latency: int = 0
    authorization: str | None = None
    multi: bool = False


def _bool(params: Mapping[str, str], name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise SessionError(f"Query parameter {name} must be true or false, got {raw!r}.", "invalid_request")


def _number(params: Mapping[str, str], name: str, kind: type, lo: float, hi: float) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = kind(float(raw)) if kind is float else kind(raw)
    except ValueError:
        value = None
    if value is None or not lo <= value <= hi:
        raise SessionError(f"Query parameter {name} must be a number from {lo:g} to {hi:g}, got {raw!r}.",
                           "invalid_request")
    return value


def parse_options(voice_id: str, params: Mapping[str, str], *, multi: bool) -> StreamOptions:
    """Read and check the query string; raises :class:`SessionError` on a bad value."""
    fmt = params.get("output_format") or "mp3_44100_128"
    if fmt.strip().lower() == "mp3_44100":  # the WebSocket's own name for the default
        fmt = "mp3_44100_128"
    try:
        fmt = parse_output_format(fmt).name
    except ValueError as e:
        raise SessionError(str(e), "invalid_output_format") from None
    norm = (params.get("apply_text_normalization") or "auto").lower()
    if norm not in ("auto", "on", "off"):
        raise SessionError(f"apply_text_normalization must be auto, on or off, got {norm!r}.",
                           "invalid_request")
    model = params.get("model_id")
    timeout = _number(params, "inactivity_timeout", float, 0.001, MAX_TIMEOUT)
    return StreamOptions(
        voice_id=voice_id, model_id=None if model in (None, "", "Ellipsis", "None") else model,
        language_code=params.get("language_code") or None,
        enable_logging=_bool(params, "enable_logging", True), output_format=fmt,
        inactivity_timeout=20.0 if timeout is None else timeout,
        sync_alignment=_bool(params, "sync_alignment", False), auto_mode=_bool(params, "auto_mode", False),
        apply_text_normalization=norm, enable_ssml_parsing=_bool(params, "enable_ssml_parsing", False),
        seed=_number(params, "seed", int, 0, 2**32 - 1),
        latency=_number(params, "optimize_streaming_latency", int, 0, 4) or 0,
        authorization=params.get("authorization") or params.get("xi_api_key") or None, multi=multi)


def _bearer(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    return value[7:].strip() if value.lower().startswith("bearer ") else value


# buffering -----------------------------------------------------------------------------
def _boundaries(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """(position of the break, end of the whitespace after it) for each boundary."""
    out = []
    for m in pattern.finditer(text):
        if m.end() == 0 or m.end() > len(text):
            continue
        if pattern is _SENTENCE and text[m.start() - 1: m.start()] == ".":
            before = text[:m.start() - 1].rsplit(None, 1)
            if before and before[-1].lower().rstrip(".") in _ABBREVIATIONS:
                continue
        out.append((m.start(), m.end()))
    return out


def cut_point(text: str, limit: int) -> int | None:
    """Where to cut ``text`` for a generation of about ``limit`` characters.

    The last sentence end at or before ``limit`` (if it keeps at least a third of it),
    else the last clause end, else the last word end; the cut includes the whitespace
    after the break, and never splits a word that may still be growing. When no word
    ends by ``limit``, the first word end after it; ``None`` when no word is complete.
    """
    for pattern, floor in ((_SENTENCE, limit / 3), (_CLAUSE, limit / 3), (_WORD, 1)):
        ends = [end for pos, end in _boundaries(pattern, text) if floor <= pos <= limit and end > 0]
        if ends:
            return ends[-1]
    later = [end for pos, end in _boundaries(_WORD, text) if pos > 0]
    return later[0] if later else None


def _ends_at_punctuation(text: str) -> bool:
    """True when ``text`` ends a sentence or a clause (where a new generation may start afresh)."""
    tail = text.rstrip().rstrip("\"'”’)]")[-1:]
    return tail in _PAUSE or text.rstrip(" \t").endswith("\n")


def last_word_end(text: str) -> int | None:
    """The end of the last complete word (and the whitespace after it)."""
    m = re.search(r"\s+(?=\S*$)", text)
    return m.end() if m and m.end() > 0 and text[:m.start()].strip() else None


def last_sentence_end(text: str) -> int | None:
    ends = [end for _, end in _boundaries(_SENTENCE, text)]
    return ends[-1] if ends else None


def _locators(value: Any) -> list[tuple[str, str | None]]:
    """``pronunciation_dictionary_locators`` of an initial message (at most three)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 3:
        raise SessionError("pronunciation_dictionary_locators must be a list of at most 3 locators.",
                           "invalid_request")
    out = []
    for loc in value:
        if not isinstance(loc, dict) or not isinstance(loc.get("pronunciation_dictionary_id"), str) or \
                not isinstance(loc.get("version_id"), (str, type(None))):
            raise SessionError("Each pronunciation dictionary locator needs a pronunciation_dictionary_id "
                               "(and optionally a version_id) string.", "invalid_request")
        out.append((loc["pronunciation_dictionary_id"], loc.get("version_id")))
    return out


def check_schedule(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise SessionError("generation_config.chunk_length_schedule must be a non-empty list of numbers.",
                           "invalid_request")
    lo, hi = SCHEDULE_RANGE
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
            raise SessionError(f"chunk_length_schedule values must be between {lo} and {hi}, got {v!r}.",
                               "invalid_request")
        out.append(int(v))
    return tuple(out)


@dataclass
class Context:
    """One stream of audio: its text buffer, schedule position and encoder."""

    context_id: str | None
    voice_settings: dict[str, Any] | None = None
    schedule: tuple[int, ...] = DEFAULT_SCHEDULE
    step: int = 0
    buffer: str = ""
    generations: int = 0
    last_text: str = ""
    """The text of the previous generation (context for the next one when it ended mid-sentence)."""
    encoder: StreamEncoder | None = None
    clock: float = 0.0
    """Seconds of audio written to the encoder so far."""
    held_audio: bytes = b""
    held_from: float | None = None
    held_chars: list[str] = field(default_factory=list)
    held_starts: list[float] = field(default_factory=list)
    held_ends: list[float] = field(default_factory=list)
    held_norm: tuple[list[str], list[float], list[float]] = field(default_factory=lambda: ([], [], []))
    """Spoken (normalised) characters and times of the held audio, for ``normalizedAlignment``."""
    locators: list[tuple[str, str | None]] = field(default_factory=list)
    """Pronunciation dictionaries of this context (from its first message)."""

    def threshold(self) -> int:
        return self.schedule[min(self.step, len(self.schedule) - 1)]

    def take(self, end: int) -> str:
        piece, self.buffer = self.buffer[:end], self.buffer[end:]
        return piece

    def close(self) -> None:
        if self.encoder is not None:
            self.encoder.close()


# the session ---------------------------------------------------------------------------
class TTSSession:
    def __init__(self, ws: WebSocket, services: Services, opts: StreamOptions) -> None:
        self.ws = ws
        self.services = services
        self.tts = services.tts
        self.opts = opts
        self.principal: Principal | None = None
        self.contexts: dict[str | None, Context] = {}
        self.jobs: asyncio.Queue[tuple] = asyncio.Queue()
        self.pending = 0
        self.last_activity = time.monotonic()
        self._recv: asyncio.Future | None = None
        self._slot_key: str | None = None
        self._warmed = False
        self._generating: Context | None = None

    # lifecycle -------------------------------------------------------------------------
    async def run(self) -> None:
        await self.ws.accept()
        try:
            await self._run()
        except SessionError as e:
            await self._fail(e)
        except _Disconnected:
            pass
        except Exception:
            logger.exception("text-to-speech WebSocket failed")
            await self._fail(SessionError("An internal error occurred; see the server log.", "internal_error",
                                          1011))
        finally:
            if self._recv is not None and not self._recv.done():
                self._recv.cancel()
            for ctx in self.contexts.values():
                if ctx is not self._generating:  # a worker thread may still be writing to that encoder
                    ctx.close()
            if self._slot_key is not None:
                self.services.limiter.release(self._slot_key)

    async def _run(self) -> None:
        headers = self.ws.headers
        key = (headers.get("xi-api-key") or _bearer(headers.get("authorization"))
               or _bearer(self.opts.authorization))
        if key:
            self.principal = self._authenticate(key)
        first = await self._receive()
        if self.principal is None:
            key = _bearer(first.get("xi_api_key")) or _bearer(first.get("xi-api-key")) \
                or _bearer(first.get("authorization"))
            if key or self.services.settings.require_auth:
                self.principal = self._authenticate(key)
            else:
                self.principal = self.services.local_principal()
        try:
            self.services.limiter.acquire(self.principal.key_id)
        except PolyvoxError as e:
            raise SessionError.from_domain(e) from None
        self._slot_key = self.principal.key_id
        error: SessionError | None = None
        try:
            async with asyncio.TaskGroup() as tg:
                reader = tg.create_task(self._reader(first))
                tg.create_task(self._writer(reader))
        except* SessionError as group:
            error = group.exceptions[0]  # type: ignore[assignment]
        except* _Disconnected:
            pass
        if error is not None:
            raise error

    def _authenticate(self, key: str | None) -> Principal:
        try:
            return self.services.keys.authenticate(key)
        except PolyvoxError as e:
            raise SessionError(e.message, "invalid_api_key") from None

    async def _fail(self, e: SessionError) -> None:
        if self.ws.application_state != WebSocketState.CONNECTED:
            return
        try:
            await self.ws.send_text(json.dumps(e.frame()))
            await self.ws.close(e.close_code, reason=e.error[:120])
        except (WebSocketDisconnect, OSError, RuntimeError):
            pass

    async def _send(self, payload: dict[str, Any]) -> None:
        try:
            await self.ws.send_text(json.dumps(payload, separators=(",", ":")))
        except (WebSocketDisconnect, OSError, RuntimeError) as e:
            raise _Disconnected() from e

    # reading ---------------------------------------------------------------------------
    async def _receive(self) -> dict[str, Any]:
        """The next client frame as a dict; enforces ``inactivity_timeout``.

        The clock runs from the later of the last client frame and the end of the last
        generation, and stops while audio is being generated for the client.
        """
        timeout = self.opts.inactivity_timeout
        while True:
            if self._recv is None:
                self._recv = asyncio.ensure_future(self.ws.receive())
            wait = timeout if self.pending else self.last_activity + timeout - time.monotonic()
            if wait > 0:
                done, _ = await asyncio.wait({self._recv}, timeout=wait)
                if not done:
                    continue
            if not self._recv.done():
                raise SessionError(f"Input timeout exceeded: no input for {timeout:g} seconds.",
                                   "input_timeout_exceeded")
            message, self._recv = self._recv.result(), None
            self.last_activity = time.monotonic()
            if message["type"] == "websocket.disconnect":
                raise _Disconnected()
            raw = message.get("text")
            if raw is None:
                raw = (message.get("bytes") or b"").decode("utf-8", "replace")
            try:
                data = json.loads(raw)
            except ValueError:
                raise SessionError("Messages must be JSON objects.", "invalid_message") from None
            if not isinstance(data, dict):
                raise SessionError("Messages must be JSON objects.", "invalid_message")
            text = data.get("text")
            if text is not None and not isinstance(text, str):
                raise SessionError("'text' must be a string.", "invalid_message")
            return data

    async def _reader(self, first: dict[str, Any]) -> None:
        data = first
        while True:
            done = await (self._handle_multi(data) if self.opts.multi else self._handle_single(data))
            if done:
                return
            data = await self._receive()

    async def _handle_single(self, data: dict[str, Any]) -> bool:
        ctx = self.contexts.get(None)
        if ctx is None:  # the first message: settings (and usually the text " ")
            ctx = await self._open(None, data)
            text = data.get("text")
            if text == "":
                return self._end_of_stream(ctx)
            if text and text.strip():
                ctx.buffer += text
        else:
            text = data.get("text")
            if text == "":
                return self._end_of_stream(ctx)
            ctx.buffer += text or ""
        self._schedule(ctx, flush=bool(data.get("flush")), trigger=bool(data.get("try_trigger_generation")))
        return False

    def _end_of_stream(self, ctx: Context) -> bool:
        self._schedule(ctx, flush=True)
        self._enqueue("finish", ctx)
        self._enqueue("end")
        return True

    async def _handle_multi(self, data: dict[str, Any]) -> bool:
        if data.get("close_socket"):
            for ctx in self.contexts.values():
                self._schedule(ctx, flush=True)
                self._enqueue("finish", ctx)
            self.contexts = {}
            self._enqueue("end")
            return True
        cid = data.get("context_id", data.get("contextId"))
        cid = DEFAULT_CONTEXT if cid is None or cid == "" else str(cid)
        ctx = self.contexts.get(cid)
        if data.get("close_context"):
            if ctx is not None:  # unflushed text is dropped; queued generations still play out
                ctx.buffer = ""
                self._enqueue("finish", ctx)
                del self.contexts[cid]
            return False
        text = data.get("text")
        if ctx is None:
            if len(self.contexts) >= MAX_CONTEXTS:
                raise SessionError(f"At most {MAX_CONTEXTS} contexts may be open on one connection.",
                                   "invalid_request")
            ctx = await self._open(cid, data)
            if text and not text.strip():
                text = ""
        if text:  # "" is a keep-alive: it only resets the inactivity clock
            ctx.buffer += text
        self._schedule(ctx, flush=bool(data.get("flush")), trigger=bool(data.get("try_trigger_generation")))
        return False

    async def _open(self, cid: str | None, data: dict[str, Any]) -> Context:
        """A new context from its first message; validates voice, model and settings now."""
        settings = data.get("voice_settings")
        if settings is not None and not isinstance(settings, dict):
            raise SessionError("voice_settings must be an object.", "invalid_request")
        ctx = Context(cid, voice_settings=settings)
        config = data.get("generation_config") or data.get("generator_config")
        if config is not None:
            if not isinstance(config, dict):
                raise SessionError("generation_config must be an object.", "invalid_request")
            if config.get("chunk_length_schedule") is not None:
                ctx.schedule = check_schedule(config["chunk_length_schedule"])
        ctx.locators = _locators(data.get("pronunciation_dictionary_locators"))
        plan = await self._plan(ctx, ".")  # an unknown voice or model fails here, before any text
        if not self._warmed:  # load the engine while the client is still typing
            self._warmed = True
            loop = asyncio.get_running_loop()
            fut = loop.run_in_executor(None, self.services.engines.get_loaded, plan.engine)
            fut.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.contexts[cid] = ctx
        return ctx

    def _schedule(self, ctx: Context, *, flush: bool = False, trigger: bool = False) -> None:
        """Queue every piece of ``ctx.buffer`` that is due for generation."""
        if flush:
            if ctx.buffer.strip():
                self._generate(ctx, ctx.take(len(ctx.buffer)))
            return
        if self.opts.auto_mode:
            end = last_sentence_end(ctx.buffer)
            if end is None and len(ctx.buffer) >= AUTO_MODE_MAX:
                end = cut_point(ctx.buffer, AUTO_MODE_MAX)
            end = self._outside_markup(ctx, end)
            if end:
                self._generate(ctx, ctx.take(end))
            return
        while len(ctx.buffer) >= ctx.threshold():
            end = cut_point(ctx.buffer, ctx.threshold())
            if end is None:
                if len(ctx.buffer) < 4 * ctx.threshold():
                    break
                end = ctx.threshold()  # a run without any space (e.g. unpunctuated CJK): cut anyway
            end = self._outside_markup(ctx, end)
            if not end:
                break
            self._generate(ctx, ctx.take(end))
        if trigger and len(ctx.buffer) >= ctx.schedule[0]:
            end = self._outside_markup(ctx, last_word_end(ctx.buffer))
            if end:
                self._generate(ctx, ctx.take(end))

    def _outside_markup(self, ctx: Context, end: int | None) -> int | None:
        """With SSML parsing on, move a cut back so no tag or element is split across generations."""
        if end is None or not self.opts.enable_ssml_parsing:
            return end
        return safe_cut(ctx.buffer, end)

    def _generate(self, ctx: Context, text: str) -> None:
        ctx.step += 1
        if text.strip():
            self._enqueue("generate", ctx, text)

    def _enqueue(self, *job: Any) -> None:
        self.pending += 1
        self.jobs.put_nowait(job)

    # writing ---------------------------------------------------------------------------
    async def _writer(self, reader: asyncio.Task) -> None:
        while True:
            job = await self.jobs.get()
            try:
                if job[0] == "generate":
                    await self._run_generation(job[1], job[2])
                elif job[0] == "finish":
                    await self._finish(job[1])
                else:
                    reader.cancel()
                    try:
                        await self.ws.close(1000)
                    except (WebSocketDisconnect, OSError, RuntimeError):
                        pass
                    return
            finally:
                self.pending -= 1
                self.last_activity = time.monotonic()

    async def _plan(self, ctx: Context, text: str):
        o = self.opts
        # a piece cut between two words is rendered with the previous piece as context, so
        # the intonation runs on; after a sentence or clause end a fresh start sounds natural
        mid_clause = bool(ctx.last_text) and not _ends_at_punctuation(ctx.last_text)
        req = TTSRequest(text=text, voice_id=o.voice_id, model_id=o.model_id, language_code=o.language_code,
                         voice_settings=ctx.voice_settings, seed=o.seed,
                         previous_text=ctx.last_text if mid_clause else None,
                         apply_text_normalization=o.apply_text_normalization, output_format=o.output_format,
                         enable_logging=o.enable_logging, source="TTS", enable_ssml_parsing=o.enable_ssml_parsing,
                         pronunciation_dictionary_locators=ctx.locators)
        # time to first audio is the time to render the first segment: keep it short (a clause
        # or a few words) even when the first piece of text is itself short
        first_max = None
        if ctx.generations == 0:
            first_max = min(FIRST_SEGMENT.get(o.latency, 60), max(24, len(text) // 2))
        try:
            return await asyncio.to_thread(self.tts.plan, self.principal, req, first_max=first_max,
                                           latency=o.latency)
        except PolyvoxError as e:
            raise SessionError.from_domain(e) from None

    async def _run_generation(self, ctx: Context, text: str) -> None:
        plan = await self._plan(ctx, text)
        loop = asyncio.get_running_loop()
        self._generating = ctx
        if ctx.encoder is None:
            ctx.encoder = self.tts.encoder(plan)
        elif ctx.last_text:
            pause = _PAUSE.get(ctx.last_text.rstrip("\"'”’)] \n")[-1:], 0.0)
            if pause:
                silence = np.zeros(int(pause * ctx.encoder.input_rate), np.float32)
                data = await loop.run_in_executor(self.services.pool, ctx.encoder.write, silence)
                self._hold(ctx, data, [], [], [])
                ctx.clock += len(silence) / ctx.encoder.input_rate
        ctx.generations += 1
        ctx.last_text = text
        start = ctx.clock
        try:
            async for chunk in self.tts.stream(plan, encoder=ctx.encoder, finalize=False):
                self._hold(ctx, chunk.audio, chunk.chars, [start + t for t in chunk.starts],
                           [start + t for t in chunk.ends],
                           (chunk.norm_chars, [start + t for t in chunk.norm_starts],
                            [start + t for t in chunk.norm_ends]))
                ctx.clock += chunk.pcm_seconds
                if ctx.held_audio:
                    await self._flush_held(ctx)
        except PolyvoxError as e:
            raise SessionError.from_domain(e) from None
        self._generating = None

    def _hold(self, ctx: Context, audio: bytes, chars: list[str], starts: list[float],
              ends: list[float], norm: tuple[list[str], list[float], list[float]] | None = None) -> None:
        if ctx.held_from is None:
            ctx.held_from = ctx.clock
        ctx.held_audio += audio
        ctx.held_chars += chars
        ctx.held_starts += starts
        ctx.held_ends += ends
        if norm is not None:
            for held, new in zip(ctx.held_norm, norm):
                held += new

    async def _flush_held(self, ctx: Context) -> None:
        """Send the held audio with the alignment of every character it covers."""
        origin = ctx.held_from or 0.0

        def frame(chars: list[str], t0: list[float], t1: list[float]) -> dict[str, Any]:
            starts = [max(0, round((t - origin) * 1000)) for t in t0]
            ends = [max(0, round((t - origin) * 1000)) for t in t1]
            return {"chars": chars, "charStartTimesMs": starts,
                    "charDurationsMs": [max(0, e - s) for s, e in zip(starts, ends)]}

        alignment = normalized = None
        if ctx.held_chars or self.opts.sync_alignment:
            alignment = frame(ctx.held_chars, ctx.held_starts, ctx.held_ends)
            normalized = frame(*ctx.held_norm)
        payload: dict[str, Any] = {"audio": b64(ctx.held_audio), "isFinal": None,
                                   "normalizedAlignment": normalized, "alignment": alignment}
        if self.opts.multi:
            payload["contextId"] = ctx.context_id
        ctx.held_audio, ctx.held_from, ctx.held_chars, ctx.held_starts, ctx.held_ends = b"", None, [], [], []
        ctx.held_norm = ([], [], [])
        await self._send(payload)

    async def _finish(self, ctx: Context) -> None:
        """The end of a context: the encoder's tail, then ``isFinal``."""
        if ctx.encoder is not None:
            encoder, ctx.encoder = ctx.encoder, None
            tail = await asyncio.get_running_loop().run_in_executor(self.services.pool, encoder.finish)
            self._hold(ctx, tail, [], [], [])
            if ctx.held_audio:
                await self._flush_held(ctx)
        final: dict[str, Any] = {"isFinal": True}
        if self.opts.multi:
            final["contextId"] = ctx.context_id
        await self._send(final)


__all__ = ["SessionError", "StreamOptions", "TTSSession", "check_schedule", "cut_point", "last_word_end",
           "parse_options"]
