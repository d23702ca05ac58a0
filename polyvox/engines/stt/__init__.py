"""Speech-to-text engines (Whisper through faster-whisper)."""

from polyvox.engines.stt.whisper import (
    PACKAGED_MODELS,
    Segment,
    Transcript,
    WhisperTranscriber,
    Word,
    packaged_whisper_path,
)

__all__ = ["PACKAGED_MODELS", "Segment", "Transcript", "WhisperTranscriber", "Word", "packaged_whisper_path"]
