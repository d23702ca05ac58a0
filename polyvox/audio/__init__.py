"""Audio layer: output formats, streaming encoders, decoding and DSP helpers.

Everything that turns engine float32 PCM into ElevenLabs-compatible bytes (and
back) lives here so the API and services never touch PyAV or soxr directly.
"""

from polyvox.audio.decode import AudioDecodeError, decode_audio, decode_raw, probe_duration
from polyvox.audio.dsp import (
    detect_click,
    fade_in,
    fade_out,
    loudness_lufs,
    match_loudness,
    peak_limit,
    presence_boost,
    resample,
    rms_db,
    silence,
    trim_silence,
)
from polyvox.audio.encoder import MP3_ENCODER_DELAY, OPUS_PRE_SKIP, StreamEncoder, encode
from polyvox.audio.formats import OUTPUT_FORMATS, OutputFormat, file_extension, parse_output_format

__all__ = [
    "MP3_ENCODER_DELAY",
    "OPUS_PRE_SKIP",
    "OUTPUT_FORMATS",
    "AudioDecodeError",
    "OutputFormat",
    "StreamEncoder",
    "decode_audio",
    "decode_raw",
    "detect_click",
    "encode",
    "fade_in",
    "fade_out",
    "file_extension",
    "loudness_lufs",
    "match_loudness",
    "parse_output_format",
    "peak_limit",
    "presence_boost",
    "probe_duration",
    "resample",
    "rms_db",
    "silence",
    "trim_silence",
]
