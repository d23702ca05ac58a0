"""``polyvox stt FILE`` and ``polyvox isolate FILE``: the audio-in commands.

``polyvox/cli.py`` calls :func:`add_parsers` to register them. Both run on the same
services as the server (settings from ``POLYVOX_*``), print progress on stderr for long
files, and exit with status 2 and the API's error code on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


class _Bar:
    """Progress on stderr: a rewritten line on a terminal, a line per 10 % otherwise."""

    def __init__(self, label: str) -> None:
        self.label, self.tty, self._next, self.t0 = label, sys.stderr.isatty(), 0.1, time.monotonic()

    def __call__(self, fraction: float) -> None:
        if self.tty:
            print(f"\r  {self.label}: {fraction * 100:5.1f}%", end="", file=sys.stderr, flush=True)
        elif fraction >= self._next:
            print(f"  {self.label}: {int(fraction * 100)}%", file=sys.stderr, flush=True)
            while self._next <= fraction:
                self._next += 0.1

    def done(self) -> None:
        if self.tty:
            print(file=sys.stderr)
        print(f"  {self.label}: done in {time.monotonic() - self.t0:.1f} s", file=sys.stderr, flush=True)


def _services():
    from polyvox.services.container import Services
    from polyvox.settings import Settings

    return Services.build(Settings())


def cmd_stt(args: argparse.Namespace) -> int:
    from polyvox.errors import PolyvoxError
    from polyvox.services.stt import SttRequest, SttService
    from polyvox.services.stt_formats import elevenlabs_body, openai_verbose, srt, vtt

    services = _services()
    try:
        stt = services.component(SttService)
        req = SttRequest(model_id=args.model, language_code=args.language, diarize=args.diarize,
                         num_speakers=args.num_speakers, tag_audio_events=not args.no_audio_events,
                         timestamps_granularity=args.timestamps)
        plan = stt.plan(req)
        bar = _Bar(f"transcribing {Path(args.file).name}")
        result = stt.transcribe_file(Path(args.file), plan, progress=bar)
        bar.done()
    except PolyvoxError as e:
        print(f"polyvox: {e.code}: {e.message}", file=sys.stderr)
        return 2
    finally:
        services.close()
    if args.format == "json":
        out = json.dumps(elevenlabs_body(result, args.timestamps), ensure_ascii=False, indent=2)
    elif args.format == "verbose_json":
        out = json.dumps(openai_verbose(result, True), ensure_ascii=False, indent=2)
    elif args.format == "srt":
        out = srt(result)
    elif args.format == "vtt":
        out = vtt(result)
    else:
        out = _text_with_speakers(result) if args.diarize else result.text
    if args.output:
        Path(args.output).write_text(out + ("" if out.endswith("\n") else "\n"), encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(out)
    return 0


def _text_with_speakers(result) -> str:
    lines: list[str] = []
    current = None
    for w in result.words:
        if w.type == "spacing":
            continue
        if w.speaker_id != current:
            current = w.speaker_id
            lines.append(f"[{current}] ")
        lines[-1] += w.text + " "
    return "\n".join(line.rstrip() for line in lines)


def cmd_isolate(args: argparse.Namespace) -> int:
    from polyvox.errors import PolyvoxError
    from polyvox.services.isolation import IsolationService

    services = _services()
    src = Path(args.file)
    dst = Path(args.output) if args.output else src.with_name(f"{src.stem}.isolated.{_ext(args.format)}")
    try:
        iso = services.component(IsolationService)
        fmt = args.format or iso.settings.output_format
        job = iso.open(src, engine=args.engine)
        bar = _Bar(f"isolating {src.name} ({args.engine or iso.settings.engine})")
        seconds = iso.render(job, dst, fmt, progress=bar)
        bar.done()
    except PolyvoxError as e:
        dst.unlink(missing_ok=True)
        print(f"polyvox: {e.code}: {e.message}", file=sys.stderr)
        return 2
    finally:
        services.close()
    print(f"wrote {dst} ({seconds:.1f} s)")
    return 0


def _ext(fmt: str | None) -> str:
    if not fmt:
        return "mp3"
    from polyvox.audio.formats import file_extension

    return file_extension(fmt)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``stt`` and ``isolate`` on the ``polyvox`` command's subparsers."""
    s = sub.add_parser("stt", help="transcribe an audio or video file")
    s.add_argument("file")
    s.add_argument("--model", default="scribe_v1", help="scribe_v1 (default model), base, tiny.en or a local model")
    s.add_argument("--language", default=None, help="ISO 639-1/639-3 code; default: detect")
    s.add_argument("--diarize", action="store_true", help="label speakers")
    s.add_argument("--num-speakers", type=int, default=None, help="at most this many speakers")
    s.add_argument("--no-audio-events", action="store_true", help="drop (laughter)-style tags")
    s.add_argument("--timestamps", choices=["none", "word", "character"], default="word")
    s.add_argument("--format", choices=["text", "json", "verbose_json", "srt", "vtt"], default="text")
    s.add_argument("-o", "--output", default=None, help="write here instead of stdout")
    s.set_defaults(func=cmd_stt)

    s = sub.add_parser("isolate", help="remove background noise and music from an audio or video file")
    s.add_argument("file")
    s.add_argument("-o", "--output", default=None, help="default: FILE.isolated.mp3 next to the input")
    s.add_argument("--engine", default=None, choices=["dfn3", "gtcrn", "dtln"])
    s.add_argument("--format", default=None, help="output_format, default mp3_44100_128")
    s.set_defaults(func=cmd_isolate)


__all__ = ["add_parsers", "cmd_isolate", "cmd_stt"]
