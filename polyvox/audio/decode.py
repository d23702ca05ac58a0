"""Decode uploaded or previously rendered audio into float32 numpy arrays.

Voice-cloning uploads, speech-to-speech input and stored history clips arrive
in whatever container the client chose, so everything goes through PyAV; the
headerless formats ElevenLabs emits (pcm, ulaw, alaw) cannot be sniffed and
need :func:`decode_raw` with the known :class:`OutputFormat`.  PyAV's many
exception types are converted to :class:`AudioDecodeError` (a ``ValueError``)
so API handlers can answer 400 with a human message instead of a 500.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import av
import numpy as np
import soxr

from polyvox.audio.formats import OutputFormat

logger = logging.getLogger(__name__)

AudioSource = bytes | bytearray | memoryview | str | os.PathLike[str]


class AudioDecodeError(ValueError):
    """Input is empty, not audio, or too corrupt to decode."""


def _ulaw_decode_table() -> np.ndarray:
    """mu-law byte -> int16, as in G.711 (identical to FFmpeg's pcm_mulaw)."""
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def _alaw_decode_table() -> np.ndarray:
    """A-law byte -> int16, as in G.711 (identical to FFmpeg's pcm_alaw)."""
    a = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t).astype(np.int16)


ULAW_TO_INT16 = _ulaw_decode_table()
ALAW_TO_INT16 = _alaw_decode_table()


def _open_source(data: AudioSource) -> Any:
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) == 0:
            raise AudioDecodeError("Audio data is empty")
        return io.BytesIO(bytes(data))
    path = os.fspath(data)
    if not os.path.isfile(path):
        raise AudioDecodeError(f"Audio file not found: {path}")
    if os.path.getsize(path) == 0:
        raise AudioDecodeError("Audio data is empty")
    return path


@contextmanager
def _audio_frames(data: AudioSource) -> Iterator[Iterator[av.AudioFrame]]:
    """Yield an iterator of decoded frames; every PyAV failure becomes AudioDecodeError."""
    source = _open_source(data)
    try:
        container = av.open(source, mode="r")
    except Exception as exc:  # av raises many types (InvalidDataError, OSError, ...)
        raise AudioDecodeError("Could not read audio: unrecognised or corrupt format") from exc
    try:
        if not container.streams.audio:
            raise AudioDecodeError("File contains no audio stream")
        stream = container.streams.audio[0]

        def frames() -> Iterator[av.AudioFrame]:
            try:
                yield from container.decode(stream)
            except AudioDecodeError:
                raise
            except Exception as exc:
                raise AudioDecodeError(f"Audio is corrupt or truncated: {exc}") from exc

        yield frames()
    finally:
        container.close()


def decode_audio(
    data: AudioSource, target_rate: int | None = None, mono: bool = True
) -> tuple[np.ndarray, int]:
    """Decode any container PyAV understands to float32 (n,) or (n, channels).

    Resamples with soxr when ``target_rate`` is given; downmixes when ``mono``.
    """
    with _audio_frames(data) as frames:
        resampler: av.AudioResampler | None = None
        chunks: list[np.ndarray] = []
        rate = 0
        for frame in frames:
            if resampler is None:
                rate = frame.sample_rate
                layout = "mono" if mono else frame.layout.name
                resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray())
        if resampler is not None:
            chunks.extend(out.to_ndarray() for out in resampler.resample(None))
    if not chunks or rate <= 0:
        raise AudioDecodeError("Audio contains no decodable samples")
    planar = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    if planar.shape[1] == 0:
        raise AudioDecodeError("Audio contains no decodable samples")
    pcm = planar[0] if mono else planar.T
    pcm = np.ascontiguousarray(pcm)
    if target_rate is not None and target_rate != rate:
        pcm = soxr.resample(pcm, rate, target_rate, quality="HQ").astype(np.float32, copy=False)
        rate = target_rate
    return pcm, rate


def decode_raw(data: bytes | bytearray | memoryview, fmt: OutputFormat) -> tuple[np.ndarray, int]:
    """Decode bytes produced for ``fmt``; raw pcm/ulaw/alaw are interpreted directly."""
    if not fmt.is_raw:
        return decode_audio(data, target_rate=fmt.sample_rate)
    buf = bytes(data)
    if not buf:
        raise AudioDecodeError("Audio data is empty")
    if fmt.codec == "pcm":
        if len(buf) % 2:
            raise AudioDecodeError("Raw 16-bit PCM must have an even number of bytes")
        ints = np.frombuffer(buf, dtype="<i2")
    else:
        table = ULAW_TO_INT16 if fmt.codec == "ulaw" else ALAW_TO_INT16
        ints = table[np.frombuffer(buf, dtype=np.uint8)]
    return (ints.astype(np.float32) / 32768.0), fmt.sample_rate


def probe_duration(data: AudioSource) -> float:
    """Exact duration in seconds, by counting decoded samples.

    Container metadata is not trusted: streamed wav has 0xFFFFFFFF sizes and
    header-less mp3 only has a bitrate-based estimate.
    """
    samples = 0
    rate = 0
    with _audio_frames(data) as frames:
        for frame in frames:
            samples += frame.samples
            rate = frame.sample_rate
    if rate <= 0:
        raise AudioDecodeError("Audio contains no decodable samples")
    return samples / rate
