"""ElevenLabs ``output_format`` names, parsed into one immutable description.

The API identifies an output encoding by a string such as ``mp3_44100_128`` or
``ulaw_8000``.  Every layer that touches audio bytes (encoder, decoder, HTTP
``Content-Type``, file names in history) needs the same facts about it, so they
are parsed once here instead of string-split all over the code base.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

logger = logging.getLogger(__name__)

Codec = Literal["mp3", "pcm", "ulaw", "alaw", "opus", "wav"]
Container = Literal["mp3", "raw", "ogg", "wav"]

PCM_RATES: tuple[int, ...] = (8000, 16000, 22050, 24000, 32000, 44100, 48000)
MP3_RATES: tuple[int, ...] = (22050, 24000, 44100)
MP3_BITRATES_KBPS: tuple[int, ...] = (32, 48, 64, 96, 128, 160, 192)
OPUS_BITRATES_KBPS: tuple[int, ...] = (32, 64, 96, 128, 192)

_MEDIA_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg",
    "pcm": "audio/pcm",
    "ulaw": "audio/basic",
    "alaw": "audio/x-alaw-basic",
    "opus": "audio/ogg",
    "wav": "audio/wav",
}
_CONTAINERS: dict[str, Container] = {
    "mp3": "mp3",
    "pcm": "raw",
    "ulaw": "raw",
    "alaw": "raw",
    "opus": "ogg",
    "wav": "wav",
}
_EXTENSIONS: dict[str, str] = {
    "mp3": "mp3",
    "pcm": "pcm",
    "ulaw": "ulaw",
    "alaw": "alaw",
    "opus": "opus",
    "wav": "wav",
}

_FAMILIES_HELP = (
    "mp3_<22050|24000|44100>_<32|48|64|96|128|160|192>, "
    "pcm_<8000|16000|22050|24000|32000|44100|48000>, ulaw_8000, alaw_8000, "
    "opus_48000_<32|64|96|128|192>, wav_<8000|16000|22050|24000|32000|44100|48000>"
)


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """One concrete output encoding.

    ``bitrate`` is in bits per second and is ``None`` for uncompressed codecs.
    ``container`` is ``"raw"`` for headerless streams (pcm, ulaw, alaw).
    """

    name: str
    codec: Codec
    sample_rate: int
    bitrate: int | None
    media_type: str
    container: Container

    @property
    def is_raw(self) -> bool:
        """True for headerless byte streams that no demuxer can sniff."""
        return self.container == "raw"


OUTPUT_FORMATS: tuple[str, ...] = (
    "mp3_22050_32",
    "mp3_24000_48",
    "mp3_44100_32",
    "mp3_44100_64",
    "mp3_44100_96",
    "mp3_44100_128",
    "mp3_44100_192",
    *(f"pcm_{r}" for r in PCM_RATES),
    "ulaw_8000",
    "alaw_8000",
    *(f"opus_48000_{b}" for b in OPUS_BITRATES_KBPS),
    *(f"wav_{r}" for r in PCM_RATES),
)


def _invalid(name: str) -> ValueError:
    return ValueError(f"Unsupported output_format {name!r}; valid formats are {_FAMILIES_HELP}")


def _int(part: str, name: str) -> int:
    if not part.isdigit():
        raise _invalid(name)
    return int(part)


def parse_output_format(name: str) -> OutputFormat:
    """Parse an ElevenLabs ``output_format`` string; ``ValueError`` if unknown."""
    if not isinstance(name, str):
        raise _invalid(repr(name))
    parts = name.strip().lower().split("_")
    codec = parts[0]
    if codec == "mp3" and len(parts) == 3:
        rate, kbps = _int(parts[1], name), _int(parts[2], name)
        if rate not in MP3_RATES or kbps not in MP3_BITRATES_KBPS:
            raise _invalid(name)
        bitrate: int | None = kbps * 1000
    elif codec == "opus" and len(parts) == 3:
        rate, kbps = _int(parts[1], name), _int(parts[2], name)
        if rate != 48000 or kbps not in OPUS_BITRATES_KBPS:
            raise _invalid(name)
        bitrate = kbps * 1000
    elif codec in ("pcm", "wav") and len(parts) == 2:
        rate = _int(parts[1], name)
        if rate not in PCM_RATES:
            raise _invalid(name)
        bitrate = None
    elif codec in ("ulaw", "alaw") and len(parts) == 2:
        rate = _int(parts[1], name)
        if rate != 8000:
            raise _invalid(name)
        bitrate = None
    else:
        raise _invalid(name)
    canonical = "_".join(parts)
    return OutputFormat(
        name=canonical,
        codec=codec,  # type: ignore[arg-type]
        sample_rate=rate,
        bitrate=bitrate,
        media_type=_MEDIA_TYPES[codec],
        container=_CONTAINERS[codec],
    )


def file_extension(fmt: OutputFormat | str) -> str:
    """File extension (no dot) for storing a rendered clip, e.g. in history."""
    if isinstance(fmt, str):
        fmt = parse_output_format(fmt)
    return _EXTENSIONS[fmt.codec]
