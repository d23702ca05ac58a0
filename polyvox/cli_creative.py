"""``polyvox change FILE --voice V`` and ``polyvox sfx "prompt" --duration 5``.

``polyvox/cli.py`` calls :func:`add_parsers` to register them. They run on the same
services as the server (settings from ``POLYVOX_*``) and exit with status 2 and the API's
error code on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

_EXT_FORMATS = {".wav": "wav_44100", ".pcm": "pcm_44100", ".ogg": "opus_48000_128", ".opus": "opus_48000_128",
                ".ulaw": "ulaw_8000", ".alaw": "alaw_8000", ".mp3": "mp3_44100_128"}


def _services():
    from polyvox.services.container import Services
    from polyvox.settings import Settings

    return Services.build(Settings())


def _voice_id(services, name_or_id: str) -> str:
    for v in services.voices.list():
        if name_or_id in (v.voice_id, v.name) or v.name.lower().split(" (")[0] == name_or_id.lower():
            return v.voice_id
    return name_or_id


def _format(path: str, explicit: str | None) -> str:
    return explicit or _EXT_FORMATS.get(Path(path).suffix.lower(), "mp3_44100_128")


def cmd_change(args: argparse.Namespace) -> int:
    from polyvox.errors import PolyvoxError
    from polyvox.services.voice_changer import STSRequest, VoiceChangerService

    out = args.output or str(Path(args.file).with_suffix("")) + ".changed.mp3"
    services = _services()
    t0 = time.monotonic()
    try:
        vc = services.component(VoiceChangerService)
        settings = {"stability": args.stability} if args.stability is not None else None
        req = STSRequest(voice_id=_voice_id(services, args.voice), model_id=args.model, voice_settings=settings,
                         seed=args.seed, remove_background_noise=args.denoise, output_format=_format(out, args.format),
                         enable_logging=not args.no_log)

        async def run() -> str:
            plan = vc.plan(services.local_principal(), req)
            vc.admit(plan)
            try:
                await vc.open(plan, Path(args.file))
            except BaseException:
                vc.release(plan)
                raise
            with Path(out).open("wb") as f:  # noqa: ASYNC230 - a local CLI, nothing else waits on the loop
                async for data in vc.stream(plan):
                    f.write(data)
            return plan.conversion.text if plan.conversion else ""

        text = asyncio.run(run())
    except PolyvoxError as e:
        print(f"polyvox: {e.code}: {e.message}", file=sys.stderr)
        return 2
    finally:
        services.close()
    print(f"wrote {out} ({time.monotonic() - t0:.1f} s): {text}")
    return 0


def cmd_sfx(args: argparse.Namespace) -> int:
    from polyvox.errors import PolyvoxError
    from polyvox.services.sound_effects import SfxRequest, SoundEffectsService

    out = args.output or "sfx.mp3"
    services = _services()
    try:
        sfx = services.component(SoundEffectsService)
        plan = sfx.plan(services.local_principal(), SfxRequest(
            text=args.prompt, duration_seconds=args.duration, prompt_influence=args.influence, loop=args.loop,
            model_id=args.model, output_format=_format(out, args.format), seed=args.seed))
        result = asyncio.run(sfx.generate(plan))
    except PolyvoxError as e:
        print(f"polyvox: {e.code}: {e.message}", file=sys.stderr)
        return 2
    finally:
        services.close()
    Path(out).write_bytes(result.audio)
    layers = ", ".join(sorted({layer["kind"] for layer in result.effect.description.get("layers", [])}))
    print(f"wrote {out}: {result.seconds:.2f} s{' loop' if result.effect.description.get('loop') else ''}"
          f"{f' ({layers})' if layers else ''}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``change`` and ``sfx`` on the ``polyvox`` command's subparsers."""
    s = sub.add_parser("change", help="voice changer: say what FILE says in another voice")
    s.add_argument("file", help="audio or video file (up to 5 minutes)")
    s.add_argument("--voice", required=True, help="voice name or ID")
    s.add_argument("--model", default=None, help="eleven_english_sts_v2 (default), eleven_multilingual_sts_v2, knn-vc")
    s.add_argument("--stability", type=float, default=None)
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--denoise", action="store_true", help="remove background noise first (remove_background_noise)")
    s.add_argument("--format", default=None, help="output_format; default from the file extension")
    s.add_argument("--no-log", action="store_true", help="zero retention: keep no history")
    s.add_argument("-o", "--output", default=None, help="default: FILE.changed.mp3")
    s.set_defaults(func=cmd_change)

    s = sub.add_parser("sfx", help="make a sound effect from a text prompt")
    s.add_argument("prompt")
    s.add_argument("--duration", type=float, default=None, help="0.5-22 seconds; default: chosen from the prompt")
    s.add_argument("--influence", type=float, default=0.3, help="prompt_influence 0-1 (default 0.3)")
    s.add_argument("--loop", action="store_true", help="seamless loop")
    s.add_argument("--model", default=None, help="eleven_text_to_sound_v2 (default), procedural, stable-audio-open")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--format", default=None, help="output_format; default from the file extension")
    s.add_argument("-o", "--output", default=None, help="default: sfx.mp3")
    s.set_defaults(func=cmd_sfx)


__all__ = ["add_parsers", "cmd_change", "cmd_sfx"]
