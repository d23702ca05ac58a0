"""Voice isolation: keep the speech, remove noise and music, same duration as the input.

Service-level API (routes, the CLI, and the voice changer's ``remove_background_noise``)::

    iso = services.component(IsolationService)
    clean = iso.isolate_array(pcm, rate)                      # in memory: same rate, same length
    job = iso.open(path)                                      # validates the file (errors now)
    out = iso.render(job, dst, "mp3_44100_128", progress)     # file -> file, bounded memory
    for data in iso.encoded(job, "mp3_44100_128"): ...        # file -> encoded chunks, streaming
    # async wrappers that run in the engine pool under a concurrency slot:
    await iso.render_async(path, key_id) ; iso.stream_async(job, key_id, fmt)

Everything streams: the file is decoded frame by frame (video: its first audio track),
resampled to the engine's rate, denoised in frames, and encoded as it goes, so a one-hour
upload never sits in memory as PCM and ``/stream`` sends its first bytes after the first
~100 ms of audio has been processed. Engines are registered as ``isolation:<name>``; the
default is DeepFilterNet3 (pip-installable), GTCRN and DTLN are used when their ONNX files are
in the models folder.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from polyvox.audio.decode import AudioDecodeError
from polyvox.audio.encoder import StreamEncoder
from polyvox.audio.file_encode import FileEncoder
from polyvox.audio.formats import OutputFormat, parse_output_format
from polyvox.audio.stream_decode import StreamingDecoder
from polyvox.engines.isolation import DEFAULT_ENGINE, ENGINES, build_engine, run_whole
from polyvox.errors import EngineFailure, InvalidOutputFormat, InvalidRequest
from polyvox.services import media_input

logger = logging.getLogger(__name__)

Progress = Callable[[float], None]


class IsolationSettings(BaseSettings):
    """``POLYVOX_ISOLATION__*`` settings (nested under the main settings once the lead wires them in)."""

    model_config = SettingsConfigDict(env_prefix="POLYVOX_ISOLATION__", extra="ignore")

    engine: str = DEFAULT_ENGINE
    """dfn3 (default, from PyPI), gtcrn or dtln (their ONNX files in the models folder)."""
    atten_lim_db: float = Field(18.0, ge=0, le=100)
    """DeepFilterNet's attenuation limit: 12-24 dB keeps speech natural and ASR-friendly."""
    max_upload_mb: float = Field(500.0, gt=0)
    max_seconds: float = Field(3600.0, gt=0)
    models_dir: Path | None = None
    """Extra folder searched first for ``gtcrn/``, ``dtln/`` (and ``deepfilternet/*.tar.gz``)."""
    output_format: str = "mp3_44100_128"
    """Format of /v1/audio-isolation answers (the API documents audio/mpeg)."""
    chunk_ms: int = Field(100, ge=10, le=2000)
    """Audio decoded and denoised per step: the granularity of streaming."""
    threads: int = Field(1, ge=1)


@dataclass
class IsolationJob:
    """An opened, validated input; consumed once by :meth:`IsolationService.render` or ``encoded``."""

    decoder: StreamingDecoder
    engine: str
    duration_hint: float | None

    def close(self) -> None:
        self.decoder.close()


class IsolationService:
    def __init__(self, *, engines, pool, limiter, tmp_dir: Path, settings: IsolationSettings,
                 models_dirs: list[Path]) -> None:
        self.engines = engines
        self.pool = pool
        self.limiter = limiter
        self.tmp_dir = tmp_dir
        self.settings = settings
        self.models_dirs = models_dirs
        for name in ENGINES:
            key = f"isolation:{name}"
            if key not in engines.names():
                engines.register(key, lambda n=name: build_engine(n, self.models_dirs, settings.atten_lim_db,
                                                                   settings.threads))
        if settings.engine not in ENGINES:
            raise ValueError(f"POLYVOX_ISOLATION__ENGINE={settings.engine!r}: known engines are {', '.join(ENGINES)}")

    @classmethod
    def build(cls, services) -> IsolationService:
        settings = getattr(services.settings, "isolation", None) or IsolationSettings()
        tmp = media_input.temp_dir(services.settings.data_dir)
        media_input.sweep(tmp)
        dirs = [d for d in (settings.models_dir, services.settings.models_dir) if d is not None]
        return cls(engines=services.engines, pool=services.pool, limiter=services.limiter, tmp_dir=tmp,
                   settings=settings, models_dirs=dirs)

    # facts -----------------------------------------------------------------------------
    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_upload_mb * 1e6)

    def engine_names(self) -> list[str]:
        return list(ENGINES)

    def _key(self, engine: str | None) -> str:
        name = engine or self.settings.engine
        if name not in ENGINES:
            raise InvalidRequest(f"Unknown isolation engine {name!r}; known: {', '.join(ENGINES)}.",
                                 code="invalid_engine")
        return f"isolation:{name}"

    def output_format(self, name: str | None) -> OutputFormat:
        try:
            return parse_output_format(name or self.settings.output_format)
        except ValueError as e:
            raise InvalidOutputFormat(str(e)) from e

    # in memory -------------------------------------------------------------------------
    def isolate_array(self, pcm: np.ndarray, rate: int, engine: str | None = None) -> np.ndarray:
        """Denoise a clip held in memory; returns float32 at ``rate`` with exactly ``len(pcm)`` samples."""
        x = np.asarray(pcm, dtype=np.float32).reshape(-1)
        if x.shape[0] == 0:
            return x.copy()
        with self.engines.acquire(self._key(engine)) as eng:
            er = eng.info.sample_rate
            y = soxr.resample(x, rate, er, quality="HQ").astype(np.float32) if rate != er else x
            y = run_whole(eng, y)
        if rate != er:
            y = soxr.resample(y, er, rate, quality="HQ").astype(np.float32)
        if y.shape[0] < x.shape[0]:
            y = np.pad(y, (0, x.shape[0] - y.shape[0]))
        return y[: x.shape[0]]

    # files -----------------------------------------------------------------------------
    def open(self, path: Path, *, engine: str | None = None, file_format: str | None = None) -> IsolationJob:
        """Open and validate an input file (first frames decoded): bad input fails here."""
        key = self._key(engine)
        try:
            rate = self.engines.peek(key).info.sample_rate
            dec = StreamingDecoder(path, rate, max_seconds=self.settings.max_seconds, file_format=file_format,
                                   min_chunk=rate * self.settings.chunk_ms // 1000)
        except AudioDecodeError as e:
            raise media_input.decode_error(e) from e
        return IsolationJob(dec, key, dec.duration_hint)

    def pcm(self, job: IsolationJob, progress: Progress | None = None) -> Iterator[np.ndarray]:
        """Denoised float32 chunks at the engine's rate; in total exactly as many samples as decoded."""
        try:
            with self.engines.acquire(job.engine) as eng:
                rate = eng.info.sample_rate
                stream = eng.open_stream()
                for chunk in job.decoder.chunks():
                    y = stream.process(chunk)
                    if y.shape[0]:
                        yield y
                    if progress and job.duration_hint:
                        progress(min(0.99, job.decoder.samples_out / rate / job.duration_hint))
                yield stream.flush()
        except AudioDecodeError as e:
            raise media_input.decode_error(e) from e
        finally:
            job.close()

    def render(self, job: IsolationJob, dst: Path, output_format: str | None = None,
               progress: Progress | None = None) -> float:
        """Write the isolated audio to ``dst`` (mp3 with an exact-length LAME header); returns seconds."""
        fmt = self.output_format(output_format)
        rate = self.engines.peek(job.engine).info.sample_rate
        enc = FileEncoder(dst, fmt, rate)
        try:
            for y in self.pcm(job, progress):
                enc.write(y)
            enc.finish()
        except BaseException:
            enc.close()
            raise
        if progress:
            progress(1.0)
        return enc.samples_in / rate

    def encoded(self, job: IsolationJob, output_format: str | None = None) -> Iterator[bytes]:
        """Encoded bytes as they are produced (one continuous stream, for ``/stream``)."""
        fmt = self.output_format(output_format)
        enc = StreamEncoder(fmt, self.engines.peek(job.engine).info.sample_rate)
        try:
            for y in self.pcm(job):
                data = enc.write(y)
                if data:
                    yield data
            tail = enc.finish()
            if tail:
                yield tail
        finally:
            enc.close()

    # async wrappers --------------------------------------------------------------------
    def new_output_path(self, fmt: OutputFormat) -> Path:
        fd, name = tempfile.mkstemp(prefix="isolated-", suffix=f".{fmt.codec}", dir=self.tmp_dir)
        import os

        os.close(fd)
        return Path(name)

    async def open_async(self, path: Path, *, engine: str | None = None, file_format: str | None = None) -> IsolationJob:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, lambda: self.open(path, engine=engine, file_format=file_format))

    async def render_async(self, job: IsolationJob, key_id: str | None, output_format: str | None = None) -> Path:
        """Render into a new temp file (the caller deletes it) in the engine pool, under a concurrency slot."""
        fmt = self.output_format(output_format)
        dst = self.new_output_path(fmt)
        if key_id is not None:
            self.limiter.acquire(key_id)
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self.pool, self.render, job, dst, fmt.name, None)
            return dst
        except BaseException:
            dst.unlink(missing_ok=True)
            job.close()
            raise
        finally:
            if key_id is not None:
                self.limiter.release(key_id)

    async def stream_async(self, job: IsolationJob, output_format: str | None = None) -> AsyncIterator[bytes]:
        """``encoded`` driven from the event loop, each step in the engine pool."""
        loop = asyncio.get_running_loop()
        gen = self.encoded(job, output_format)
        done = object()
        try:
            while True:
                data = await loop.run_in_executor(self.pool, next, gen, done)
                if data is done:
                    return
                yield data
        except Exception as e:
            if isinstance(e, (InvalidRequest, EngineFailure)):
                logger.warning("isolation stream ended early: %s", e)
            raise
        finally:
            await loop.run_in_executor(self.pool, gen.close)


__all__ = ["IsolationJob", "IsolationService", "IsolationSettings"]
