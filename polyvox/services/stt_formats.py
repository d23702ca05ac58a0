"""Wire shapes of a transcription: ElevenLabs' ``SpeechToTextChunkResponseModel`` and OpenAI's formats.

Pure functions over :class:`~polyvox.services.stt.TranscriptionResult` (no I/O), so the
routes stay thin and the shapes are unit-testable.
"""

from __future__ import annotations

from typing import Any

from polyvox.engines.stt.languages import language_name
from polyvox.services.stt import TranscriptionResult

OPENAI_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")


def elevenlabs_body(r: TranscriptionResult, granularity: str = "word") -> dict[str, Any]:
    words = []
    for w in r.words:
        item: dict[str, Any] = {"text": w.text, "type": w.type}
        if granularity != "none":
            item["start"], item["end"] = w.start, w.end
        if w.speaker_id is not None:
            item["speaker_id"] = w.speaker_id
        if w.logprob is not None:
            item["logprob"] = round(w.logprob, 4)
        if granularity == "character" and w.characters is not None:
            item["characters"] = [{"text": c.text, "start": c.start, "end": c.end} for c in w.characters]
        words.append(item)
    body = {"language_code": r.language_code, "language_probability": round(r.language_probability, 4),
            "text": r.text, "words": words, "audio_duration_secs": round(r.duration, 3)}
    if r.overlaps is not None:  # polyvox's own field: Scribe has none for overlap, and SDKs ignore extras
        body["speaker_overlaps"] = [{"start": o.start, "end": o.end, "speaker_ids": list(o.speaker_ids)}
                                    for o in r.overlaps]
    return body


def _stamp(seconds: float, sep: str) -> str:
    ms = round(max(0.0, seconds) * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _cues(r: TranscriptionResult) -> list[tuple[float, float, str]]:
    return [(s.start, s.end, s.text.strip()) for s in r.segments if s.text.strip()]


def srt(r: TranscriptionResult) -> str:
    return "".join(f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{t}\n\n" for i, (a, b, t) in enumerate(_cues(r), 1))


def vtt(r: TranscriptionResult) -> str:
    return "WEBVTT\n\n" + "".join(f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{t}\n\n" for a, b, t in _cues(r))


def openai_verbose(r: TranscriptionResult, word_granularity: bool, segment_granularity: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"task": "transcribe", "language": language_name(r.language),
                            "duration": round(r.duration, 3), "text": r.text}
    if segment_granularity:
        body["segments"] = [
            {"id": i, "seek": 0, "start": round(s.start, 3), "end": round(s.end, 3), "text": s.text,
             "tokens": [], "temperature": 0.0, "avg_logprob": round(s.avg_logprob, 4),
             "compression_ratio": 1.0, "no_speech_prob": round(s.no_speech_prob, 4)}
            for i, s in enumerate(r.segments)]
    if word_granularity:
        body["words"] = [{"word": w.text, "start": w.start, "end": w.end} for w in r.words if w.type != "spacing"]
    return body


__all__ = ["OPENAI_FORMATS", "elevenlabs_body", "openai_verbose", "srt", "vtt"]
