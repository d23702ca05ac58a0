"""Incremental decoding of an uploaded file (audio or video) into mono float32 chunks.

:func:`polyvox.audio.decode_audio` returns a whole clip, which is right for a voice sample
but not for a one-hour upload: here the file is demuxed and decoded frame by frame (only the
first audio stream of a video is read), downmixed, and resampled with a *streaming* soxr
resampler, so memory stays bounded by one chunk whatever the file's length.

Opening a :class:`StreamingDecoder` already decodes the first frames, so an empty, non-audio
or corrupt upload fails before a streaming response has sent its status line. Errors are
:class:`~polyvox.audio.decode.AudioDecodeError` (a ``ValueError``); :class:`EmptyAudio` and
:class:`AudioTooLong` refine it so that services can answer with a precise code.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import soxr

from polyvox.audio.decode import AudioDecodeError

logger = logging.getLogger(__name__)

PCM_S16LE_16 = "pcm_s16le_16"
"""ElevenLabs' ``file_format`` for raw 16-bit little-endian mono PCM at 16 kHz."""


class EmptyAudio(AudioDecodeError):
    """The upload has no bytes, or decodes to no samples."""


class AudioTooLong(AudioDecodeError):
    """The audio runs past the configured maximum duration."""

    def __init__(self, message: str, limit_seconds: float) -> None:
        super().__init__(message)
        self.limit_seconds = limit_seconds


class StreamingDecoder:
    """Mono float32 chunks at ``rate`` from any file PyAV reads, or raw ``pcm_s16le_16``.

    ``max_seconds`` stops decoding with :class:`AudioTooLong` once exceeded (checked against
    container metadata at open, when it is present, and against decoded samples as they come).
    ``min_chunk`` groups small codec frames into chunks of at least that many output samples.
    """

    def __init__(self, path: str | os.PathLike[str], rate: int, *, max_seconds: float | None = None,
                 file_format: str | None = None, min_chunk: int = 0) -> None:
        self.path = Path(path)
        self.rate = rate
        self.max_seconds = max_seconds
        self.min_chunk = min_chunk
        self.samples_out = 0
        self.duration_hint: float | None = None
        self.source_rate = 0
        self._container = None
        self._raw = (file_format or "other") == PCM_S16LE_16
        if not self.path.is_file():
            raise AudioDecodeError(f"Audio file not found: {self.path}")
        size = self.path.stat().st_size
        if size == 0:
            raise EmptyAudio("The uploaded file is empty.")
        self._head: list[np.ndarray] = []
        if self._raw:
            if size % 2:
                raise AudioDecodeError("pcm_s16le_16 input must have an even number of bytes.")
            self.source_rate = 16_000
            self.duration_hint = size / 2 / 16_000
            self._check_hint()
            self._frames = self._raw_frames()
        else:
            self._frames = self._av_frames()
        self._resampler = None
        # decode until the first samples so that bad input fails here, not mid-stream
        for pcm in self._frames:
            if pcm.shape[0]:
                self._head.append(pcm)
                break
        if not self._head:
            self.close()
            raise EmptyAudio("The file contains no decodable audio samples.")

    # sources ------------------------------------------------------------------------------
    def _check_hint(self) -> None:
        if self.max_seconds is not None and self.duration_hint is not None \
                and self.duration_hint > self.max_seconds + 1.0:
            raise AudioTooLong(f"The audio is {self.duration_hint:.0f} s long; the limit is "
                               f"{self.max_seconds:.0f} s.", self.max_seconds)

    def _raw_frames(self) -> Iterator[np.ndarray]:
        with open(self.path, "rb") as f:
            while block := f.read(1 << 16):
                yield np.frombuffer(block, dtype="<i2").astype(np.float32) / 32768.0

    def _av_frames(self) -> Iterator[np.ndarray]:
        try:
            self._container = av.open(str(self.path), mode="r")
        except Exception as exc:  # av raises many types (InvalidDataError, OSError, ...)
            raise AudioDecodeError("Could not read the file: it is not audio or video in a format "
                                   "this server can decode.") from exc
        container = self._container
        if not container.streams.audio:
            container.close()
            raise AudioDecodeError("The file contains no audio stream.")
        stream = container.streams.audio[0]
        if container.duration:
            self.duration_hint = container.duration / 1_000_000
        elif stream.duration and stream.time_base:
            self.duration_hint = float(stream.duration * stream.time_base)
        self._check_hint()
        return self._decode(container, stream)

    def _decode(self, container, stream) -> Iterator[np.ndarray]:
        resampler = None
        try:
            for frame in container.decode(stream):
                if resampler is None:
                    self.source_rate = frame.sample_rate
                    resampler = av.AudioResampler(format="fltp", layout="mono", rate=frame.sample_rate)
                for out in resampler.resample(frame):
                    yield out.to_ndarray()[0]
            if resampler is not None:
                for out in resampler.resample(None):
                    yield out.to_ndarray()[0]
        except AudioDecodeError:
            raise
        except Exception as exc:
            raise AudioDecodeError(f"The audio is corrupt or truncated ({exc}).") from exc

    # output -------------------------------------------------------------------------------
    def chunks(self) -> Iterator[np.ndarray]:
        """Yield mono float32 chunks at ``self.rate`` until the end (then closes the file)."""
        try:
            held: list[np.ndarray] = []
            held_n = 0
            for pcm in self._source():
                y = self._convert(pcm, last=False)
                if y.shape[0]:
                    held.append(y)
                    held_n += y.shape[0]
                if held_n and held_n >= self.min_chunk:
                    yield self._emit(held)
                    held, held_n = [], 0
            tail = self._convert(np.zeros(0, np.float32), last=True)
            if tail.shape[0]:
                held.append(tail)
            if held:
                yield self._emit(held)
        finally:
            self.close()

    def _source(self) -> Iterator[np.ndarray]:
        head, self._head = self._head, []
        yield from head
        yield from self._frames

    def _convert(self, pcm: np.ndarray, last: bool) -> np.ndarray:
        pcm = np.ascontiguousarray(pcm, dtype=np.float32)
        if self.source_rate == self.rate:
            return pcm
        if self._resampler is None:
            self._resampler = soxr.ResampleStream(self.source_rate, self.rate, 1, dtype="float32", quality="HQ")
        return self._resampler.resample_chunk(pcm, last=last)

    def _emit(self, held: list[np.ndarray]) -> np.ndarray:
        out = held[0] if len(held) == 1 else np.concatenate(held)
        self.samples_out += out.shape[0]
        if self.max_seconds is not None and self.samples_out > (self.max_seconds + 0.5) * self.rate:
            raise AudioTooLong(f"The audio is longer than the limit of {self.max_seconds:.0f} s.",
                               self.max_seconds)
        return out

    def read_all(self) -> np.ndarray:
        """The whole file at once (for inputs already known to be bounded)."""
        parts = list(self.chunks())
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def close(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # closing a half-broken container
                logger.debug("closing container failed", exc_info=True)
            self._container = None

    def __enter__(self) -> StreamingDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["PCM_S16LE_16", "AudioTooLong", "EmptyAudio", "StreamingDecoder"]
