"""Streaming encoder: float32 PCM chunks in, bytes of ONE continuous stream out.

A response is encoded by a single encoder instance so that the client receives
one well-formed stream: no per-chunk headers, no priming gaps between text
segments, monotonically running timestamps.  Engines hand us float32 mono at
their native rate; we resample with a *streaming* soxr resampler (so chunk
boundaries leave no filter transients) and encode as soon as a codec frame's
worth of samples is available, so first bytes leave early.

Caveats callers may need:

* mp3 is written without a Xing/LAME info frame (that frame is only correct
  once the stream is complete and would break concatenation), so decoders
  cannot trim the libmp3lame priming: decoded audio starts with
  :data:`MP3_ENCODER_DELAY` (1105) samples of silence and ends padded up to a
  whole mp3 frame (1152 samples at 44.1 kHz, 576 at 22.05/24 kHz).
* Ogg Opus carries its 312-sample (48 kHz) pre-skip in the OpusHead header and
  the exact end in the final granule position, so decoders trim both.
* wav streams start with a header whose RIFF and data sizes are 0xFFFFFFFF
  ("unknown length", as streaming servers do); :func:`encode` patches the real
  sizes in because it knows the total.
"""

from __future__ import annotations

import logging
import struct
from fractions import Fraction
from typing import Protocol

import av
import numpy as np
import soxr

from polyvox.audio.formats import OutputFormat

logger = logging.getLogger(__name__)

MP3_ENCODER_DELAY = 1105
"""Leading samples libmp3lame adds (576 encoder delay + 529 decoder delay)."""
OPUS_PRE_SKIP = 312
"""libopus look-ahead at 48 kHz; signalled in OpusHead, trimmed by decoders."""
OGG_PAGE_DURATION_US = 60_000
"""Ogg page length.  The muxer holds a page until it is full, so this bounds
the audio held back between writes; at 32 kbps it costs ~8% in page headers
(20 ms pages: ~26%, 100 ms: ~5%)."""
MP3_MPEG2_MAX_BITRATE = 160_000
"""MPEG-2 layer III (22.05/24 kHz) tops out at 160 kbps; higher requests clamp."""

_EMPTY = np.zeros(0, dtype=np.float32)


def _g711_ulaw_table() -> np.ndarray:
    """int16 (as uint16 index) -> mu-law byte, bit-exact with ITU-T G.191 ``ulaw_compress``."""
    lin = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)
    absno = np.minimum(np.where(lin < 0, ~lin, lin) >> 2, 0x1FFF - 33) + 33
    hi = absno >> 6  # segno = 1 + bit length of hi
    segno = 1 + np.where(hi > 0, np.floor(np.log2(np.maximum(hi, 1))).astype(np.int32) + 1, 0)
    out = ((8 - segno) << 4) | (0xF - ((absno >> segno) & 0xF))
    return (np.where(lin >= 0, out | 0x80, out) & 0xFF).astype(np.uint8)


def _g711_alaw_table() -> np.ndarray:
    """int16 (as uint16 index) -> A-law byte, bit-exact with ITU-T G.191 ``alaw_compress``."""
    lin = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)
    ix = np.where(lin < 0, ~lin, lin) >> 4  # 0..2047, one's complement for negatives
    iexp = np.maximum(np.floor(np.log2(np.maximum(ix, 1))).astype(np.int32) - 3, 0)
    enc = np.where(ix > 15, ((ix >> np.maximum(iexp - 1, 0)) - 16) + (iexp << 4), ix)
    enc = np.where(lin >= 0, enc | 0x80, enc)
    return ((enc ^ 0x55) & 0xFF).astype(np.uint8)


_ULAW = _g711_ulaw_table()
_ALAW = _g711_alaw_table()


def float_to_int16(pcm: np.ndarray) -> np.ndarray:
    """Clip to [-1, 1] and round (not truncate) to int16."""
    return np.rint(np.clip(pcm, -1.0, 1.0) * 32767.0).astype(np.int16)


def wav_header(sample_rate: int, data_bytes: int | None = None) -> bytes:
    """44-byte RIFF header for mono s16le; ``None`` size = streaming (0xFFFFFFFF)."""
    riff = 0xFFFFFFFF if data_bytes is None else min(36 + data_bytes, 0xFFFFFFFF)
    data = 0xFFFFFFFF if data_bytes is None else min(data_bytes, 0xFFFFFFFF)
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", riff, b"WAVE", b"fmt ", 16, 1, 1,
        sample_rate, sample_rate * 2, 2, 16, b"data", data,
    )  # fmt: skip


class _Backend(Protocol):
    def encode(self, pcm: np.ndarray) -> bytes: ...
    def flush(self) -> bytes: ...
    def close(self) -> None: ...


class _RawBackend:
    """Headerless pcm_s16le / G.711, plus wav (= header + pcm_s16le)."""

    def __init__(self, fmt: OutputFormat) -> None:
        self._codec = fmt.codec
        self._header = wav_header(fmt.sample_rate) if fmt.codec == "wav" else b""

    def encode(self, pcm: np.ndarray) -> bytes:
        header, self._header = self._header, b""
        ints = float_to_int16(pcm)
        if self._codec == "ulaw":
            body = _ULAW[ints.view(np.uint16)].tobytes()
        elif self._codec == "alaw":
            body = _ALAW[ints.view(np.uint16)].tobytes()
        else:
            body = ints.astype("<i2", copy=False).tobytes()
        return header + body

    def flush(self) -> bytes:
        return self.encode(_EMPTY)

    def close(self) -> None:
        pass


class _Sink:
    """Write-only file object that PyAV's muxer appends to; drained per call."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def write(self, data: bytes) -> int:
        self._buf += data
        return len(data)

    def drain(self) -> bytes:
        out = bytes(self._buf)
        self._buf.clear()
        return out


class _AvBackend:
    """mp3 (libmp3lame in a bare mp3 muxer) or Opus (libopus in Ogg) via PyAV."""

    def __init__(self, fmt: OutputFormat) -> None:
        self._rate = fmt.sample_rate
        self._sink = _Sink()
        if fmt.codec == "mp3":
            codec, muxer = "libmp3lame", "mp3"
            # No Xing/LAME frame (needs seeking, breaks concatenation) and no ID3.
            options = {"write_xing": "0", "id3v2_version": "0", "flush_packets": "1"}
            bitrate = fmt.bitrate or 128_000
            if fmt.sample_rate < 32000 and bitrate > MP3_MPEG2_MAX_BITRATE:
                logger.debug("clamping %s bitrate to %d", fmt.name, MP3_MPEG2_MAX_BITRATE)
                bitrate = MP3_MPEG2_MAX_BITRATE
        else:
            codec, muxer = "libopus", "ogg"
            options = {"page_duration": str(OGG_PAGE_DURATION_US), "flush_packets": "1"}
            bitrate = fmt.bitrate or 64_000
        self._container = av.open(self._sink, mode="w", format=muxer, container_options=options)
        self._stream = self._container.add_stream(codec, rate=fmt.sample_rate)
        ctx = self._stream.codec_context
        ctx.layout = "mono"
        ctx.bit_rate = bitrate
        names = [f.name for f in ctx.codec.audio_formats or ()]
        self._sample_fmt = next((f for f in ("fltp", "flt") if f in names), "fltp")
        ctx.format = self._sample_fmt
        ctx.open()
        self._frame_size = ctx.frame_size or 1024
        self._pending = _EMPTY
        self._pts = 0

    def _emit(self, samples: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples[None, :]), format=self._sample_fmt, layout="mono"
        )
        frame.sample_rate = self._rate
        frame.time_base = Fraction(1, self._rate)
        frame.pts = self._pts
        self._pts += samples.shape[0]
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def encode(self, pcm: np.ndarray) -> bytes:
        buf = np.concatenate((self._pending, np.clip(pcm, -1.0, 1.0).astype(np.float32)))
        n_full = buf.shape[0] // self._frame_size * self._frame_size
        for start in range(0, n_full, self._frame_size):
            self._emit(buf[start : start + self._frame_size])
        self._pending = buf[n_full:]
        return self._sink.drain()

    def close(self) -> None:
        try:
            self._container.close()
        except Exception:  # already closed or mid-error; nothing left to salvage
            logger.debug("ignoring error while closing aborted encoder", exc_info=True)
        self._sink.drain()

    def flush(self) -> bytes:
        if self._pending.shape[0]:
            self._emit(self._pending)  # both codecs accept a short last frame
            self._pending = _EMPTY
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        return self._sink.drain()


class StreamEncoder:
    """One continuous encoder per response: ``write()`` chunks, then ``finish()``.

    ``write`` accepts float32 mono in [-1, 1] at ``input_rate`` of any length
    (including empty) and returns whatever bytes the codec has produced so far,
    possibly ``b""``.  ``finish`` flushes resampler and codec and returns the tail.
    """

    def __init__(self, fmt: OutputFormat, input_rate: int) -> None:
        if input_rate <= 0:
            raise ValueError(f"input_rate must be positive, got {input_rate}")
        self.format = fmt
        self.input_rate = input_rate
        self._resampler = (
            None
            if input_rate == fmt.sample_rate
            else soxr.ResampleStream(input_rate, fmt.sample_rate, 1, dtype="float32", quality="HQ")
        )
        self._backend: _Backend = _AvBackend(fmt) if fmt.codec in ("mp3", "opus") else _RawBackend(fmt)
        self._finished = False
        self.samples_in = 0

    @property
    def priming_samples(self) -> int:
        """Leading samples (at the output rate) a decoder will NOT trim on its own."""
        return MP3_ENCODER_DELAY if self.format.codec == "mp3" else 0

    def write(self, pcm: np.ndarray) -> bytes:
        """Encode one chunk; returns the bytes ready so far (may be empty)."""
        if self._finished:
            raise RuntimeError("StreamEncoder.write() called after finish() or close()")
        x = np.nan_to_num(np.asarray(pcm, dtype=np.float32).reshape(-1), nan=0.0, posinf=1.0, neginf=-1.0)
        self.samples_in += x.shape[0]
        if self._resampler is not None:
            x = self._resampler.resample_chunk(x, last=False)
        return self._backend.encode(x) if x.shape[0] else b""

    def finish(self) -> bytes:
        """Flush resampler and codec; the encoder cannot be used afterwards."""
        if self._finished:
            raise RuntimeError("StreamEncoder already finished or closed")
        self._finished = True
        out = b""
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(_EMPTY, last=True)
            if tail.shape[0]:
                out = self._backend.encode(tail)
        return out + self._backend.flush()

    def close(self) -> None:
        """Abandon the stream (e.g. client disconnected) and free codec resources."""
        if not self._finished:
            self._finished = True
            self._backend.close()

    def __enter__(self) -> StreamEncoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def encode(pcm: np.ndarray, input_rate: int, fmt: OutputFormat) -> bytes:
    """One-shot encode of a whole clip (wav gets exact sizes in its header)."""
    enc = StreamEncoder(fmt, input_rate)
    data = enc.write(pcm) + enc.finish()
    if fmt.codec == "wav":
        data = wav_header(fmt.sample_rate, len(data) - 44) + data[44:]
    return data
