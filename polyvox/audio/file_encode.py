"""Encode a stream of PCM chunks into a file on disk, with an exact-length header where the format has one.

:class:`~polyvox.audio.encoder.StreamEncoder` writes mp3 *without* a Xing/LAME frame, because
a streamed response cannot go back to fill it in; decoders then keep the encoder's 1105
priming samples and the padding of the last frame. A file can be rewritten at the end, so
here mp3 goes through PyAV's mp3 muxer into a seekable file, which writes the LAME tag with
the encoder delay and padding: FFmpeg-based decoders (and browsers) then give back exactly as
many samples as went in. wav gets its real sizes patched in; other formats are the
StreamEncoder's bytes as they are.

Memory stays bounded by one chunk; the caller owns the file.
"""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soxr

from polyvox.audio.encoder import StreamEncoder, wav_header
from polyvox.audio.formats import OutputFormat

logger = logging.getLogger(__name__)
_EMPTY = np.zeros(0, np.float32)


class FileEncoder:
    """``write(pcm)`` float32 mono chunks at ``input_rate``; ``finish()`` completes the file at ``path``."""

    def __init__(self, path: str | os.PathLike[str], fmt: OutputFormat, input_rate: int) -> None:
        self.path = Path(path)
        self.format = fmt
        self.input_rate = input_rate
        self.samples_in = 0
        self._finished = False
        self._stream_enc: StreamEncoder | None = None
        self._file = None
        self._container = None
        if fmt.codec == "mp3":
            self._open_mp3()
        else:
            self._stream_enc = StreamEncoder(fmt, input_rate)
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in finish()/close()

    def _open_mp3(self) -> None:
        fmt = self.format
        self._resampler = (None if self.input_rate == fmt.sample_rate else
                           soxr.ResampleStream(self.input_rate, fmt.sample_rate, 1, dtype="float32", quality="HQ"))
        self._container = av.open(str(self.path), mode="w", format="mp3", container_options={"id3v2_version": "0"})
        self._stream = self._container.add_stream("libmp3lame", rate=fmt.sample_rate)
        ctx = self._stream.codec_context
        ctx.layout = "mono"
        ctx.format = "fltp"
        ctx.bit_rate = min(fmt.bitrate or 128_000, 160_000 if fmt.sample_rate < 32000 else 320_000)
        ctx.open()
        self._frame_size = ctx.frame_size or 1152
        self._pending = _EMPTY
        self._pts = 0

    def _emit(self, samples: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[None, :]), format="fltp", layout="mono")
        frame.sample_rate = self.format.sample_rate
        frame.time_base = Fraction(1, self.format.sample_rate)
        frame.pts = self._pts
        self._pts += samples.shape[0]
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def _mp3_write(self, x: np.ndarray) -> None:
        buf = np.concatenate((self._pending, x))
        n_full = buf.shape[0] // self._frame_size * self._frame_size
        for start in range(0, n_full, self._frame_size):
            self._emit(buf[start:start + self._frame_size])
        self._pending = buf[n_full:]

    def write(self, pcm: np.ndarray) -> None:
        if self._finished:
            raise RuntimeError("FileEncoder.write() after finish()")
        x = np.clip(np.nan_to_num(np.asarray(pcm, dtype=np.float32).reshape(-1)), -1.0, 1.0)
        self.samples_in += x.shape[0]
        if self._stream_enc is not None:
            self._file.write(self._stream_enc.write(x))
            return
        if self._resampler is not None:
            x = self._resampler.resample_chunk(x, last=False)
        if x.shape[0]:
            self._mp3_write(x)

    def finish(self) -> Path:
        if self._finished:
            raise RuntimeError("FileEncoder already finished")
        self._finished = True
        if self._stream_enc is not None:
            self._file.write(self._stream_enc.finish())
            if self.format.codec == "wav":
                size = self._file.tell() - 44
                self._file.seek(0)
                self._file.write(wav_header(self.format.sample_rate, size))
            self._file.close()
            return self.path
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(_EMPTY, last=True)
            if tail.shape[0]:
                self._mp3_write(tail)
        if self._pending.shape[0]:
            self._emit(self._pending)
            self._pending = _EMPTY
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        return self.path

    def close(self) -> None:
        """Abandon the file (error or cancel); the caller deletes it."""
        if self._finished:
            return
        self._finished = True
        try:
            if self._container is not None:
                self._container.close()
            if self._stream_enc is not None:
                self._stream_enc.close()
            if self._file is not None:
                self._file.close()
        except Exception:  # closing after an error; nothing to salvage
            logger.debug("ignoring error while abandoning %s", self.path, exc_info=True)


__all__ = ["FileEncoder"]
