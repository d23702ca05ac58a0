"""Whole-clip encoding of stereo audio (sound effects), gapless where the container allows.

:mod:`polyvox.audio.encoder` streams mono speech. Sound effects are made whole and in
stereo, so here mp3 and Opus are written in one go into a seekable buffer: the mp3 muxer
then writes its Xing/LAME frame with the encoder delay and padding, and Opus carries its
pre-skip and end granule, so decoders return exactly the samples that went in (a sound
effect asked for 2.0 s decodes to 2.0 s). The headerless formats (pcm, µ-law, A-law) and
wav are mono in the ElevenLabs API, so they get the mid (L+R)/2 channel through
:func:`polyvox.audio.encode`.
"""

from __future__ import annotations

import io
import logging
from fractions import Fraction

import av
import numpy as np
import soxr

from polyvox.audio.encoder import MP3_MPEG2_MAX_BITRATE, encode
from polyvox.audio.formats import OutputFormat

logger = logging.getLogger(__name__)


def encode_stereo(pcm: np.ndarray, rate: int, fmt: OutputFormat) -> bytes:
    """Encode float32 ``(samples, 2)`` (or mono ``(samples,)``) at ``rate`` into ``fmt``."""
    x = np.asarray(pcm, dtype=np.float32)
    if x.ndim == 1:
        x = np.stack([x, x], axis=1)
    if fmt.codec not in ("mp3", "opus"):
        return encode(x.mean(axis=1), rate, fmt)
    if rate != fmt.sample_rate:
        x = soxr.resample(x, rate, fmt.sample_rate, quality="HQ").astype(np.float32)
    x = np.clip(x, -1.0, 1.0)
    buf = io.BytesIO()
    if fmt.codec == "mp3":
        codec, muxer, options = "libmp3lame", "mp3", {"id3v2_version": "0"}
        bitrate = fmt.bitrate or 128_000
        if fmt.sample_rate < 32000:
            bitrate = min(bitrate, MP3_MPEG2_MAX_BITRATE)
    else:
        codec, muxer, options = "libopus", "ogg", {}
        bitrate = fmt.bitrate or 64_000
    with av.open(buf, mode="w", format=muxer, container_options=options) as container:
        stream = container.add_stream(codec, rate=fmt.sample_rate)
        ctx = stream.codec_context
        ctx.layout = "stereo"
        ctx.bit_rate = bitrate
        names = [f.name for f in ctx.codec.audio_formats or ()]
        sample_fmt = next((f for f in ("fltp", "flt") if f in names), "fltp")
        ctx.format = sample_fmt
        ctx.open()
        size = ctx.frame_size or 1024
        pts = 0
        for start in range(0, x.shape[0], size):
            block = x[start: start + size]
            arr = np.ascontiguousarray(block.T) if sample_fmt == "fltp" else np.ascontiguousarray(block.reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(arr, format=sample_fmt, layout="stereo")
            frame.sample_rate = fmt.sample_rate
            frame.time_base = Fraction(1, fmt.sample_rate)
            frame.pts = pts
            pts += block.shape[0]
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


__all__ = ["encode_stereo"]
