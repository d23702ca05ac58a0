"""``polyvox voices``: list voices, and make them: ``voices clone NAME FILES...`` (and ``voices design``).

Commands run in-process on the configured data folder (``POLYVOX_DATA_DIR``), so a voice made
here is there for the server too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polyvox.services.container import Services


def _run(work: Callable[[Services], int | None]) -> int:
    """``work(services)`` on the configured data folder; a domain error is printed, exit code 1."""
    from polyvox.errors import PolyvoxError
    from polyvox.services.container import Services
    from polyvox.settings import Settings

    services = Services.build(Settings())
    try:
        return work(services) or 0
    except PolyvoxError as e:
        print(f"polyvox: {e.message}", file=sys.stderr)
        return 1
    finally:
        services.close()


def cmd_list(args: argparse.Namespace) -> int:
    def work(services: Services) -> None:
        for v in services.voices.list():
            labels = v.labels or {}
            print(f"{v.voice_id}\t{v.name}\t{v.category}\t{labels.get('gender', '')}\t{labels.get('accent', '')}\t"
                  f"{','.join(sorted(v.engines or {}))}")

    return _run(work)


def cmd_clone(args: argparse.Namespace) -> int:
    from polyvox.services.voice_lab import SampleUpload, VoiceLabService

    files = [Path(f) for f in args.files]
    for f in files:
        if not f.is_file():
            print(f"polyvox: no such file: {f}", file=sys.stderr)
            return 2

    def work(services: Services) -> None:
        lab = services.component(VoiceLabService)
        uploads = [SampleUpload(path=f, filename=f.name, content_type=None) for f in files]
        labels = json.loads(args.labels) if args.labels else None
        voice = lab.add_voice(name=args.name, uploads=uploads, description=args.description, labels=labels,
                              remove_background_noise=args.remove_background_noise, key_id=None, refine=False)
        print(f"polyvox: {voice.voice_id} created from {len(files)} file(s); searching the style space ...",
              file=sys.stderr)

        def progress(fraction: float, message: str) -> None:
            print(f"\r  {fraction * 100:5.1f} %  {message:<40}", end="", file=sys.stderr, flush=True)

        report = lab.refine(voice.voice_id, progress=progress)
        print(file=sys.stderr)
        print(json.dumps(report, indent=2))
        print(voice.voice_id)

    return _run(work)


def cmd_design(args: argparse.Namespace) -> int:
    import asyncio

    from polyvox.services.keys import Principal
    from polyvox.services.voice_design import DesignRequest, VoiceDesignService

    out_dir = Path(args.out)
    if args.save and not 1 <= args.pick <= 3:
        print("polyvox: --pick must be 1-3", file=sys.stderr)
        return 2

    def work(services: Services) -> None:
        design = services.component(VoiceDesignService)
        principal = Principal("", "cli", True)  # in-process: no key to charge, previews open to any key
        req = DesignRequest(voice_description=args.description, text=args.text, auto_generate_text=args.text is None,
                            model_id=args.model, output_format=args.format, seed=args.seed,
                            guidance_scale=args.guidance_scale, quality=args.quality)
        print("polyvox: designing 3 voices ...", file=sys.stderr)
        result = asyncio.run(design.design(principal, req))
        out_dir.mkdir(parents=True, exist_ok=True)
        ext = args.format.split("_")[0]
        print(f"text: {result.text}", file=sys.stderr)
        for i, p in enumerate(result.previews, 1):
            path = out_dir / f"design-{i}.{ext}"
            path.write_bytes(p.audio)
            measured = p.report.get("measured", {})
            print(f"{i}\t{p.generated_voice_id}\t{p.duration_secs:.1f} s\t{path}\t{json.dumps(measured)}")
        print(json.dumps(result.report, indent=2), file=sys.stderr)
        if args.save:
            voice = design.save(principal, result.previews[args.pick - 1].generated_voice_id, name=args.save,
                                description=args.description)
            print(f"polyvox: saved preview {args.pick} as {voice.name!r}", file=sys.stderr)
            print(voice.voice_id)

    return _run(work)


def add_parsers(sub) -> None:
    s = sub.add_parser("voices", help="list voices; `voices clone NAME FILES...`, `voices design \"...\"`")
    s.set_defaults(func=cmd_list)
    vsub = s.add_subparsers(dest="voices_command")
    c = vsub.add_parser("clone", help="instant voice clone from audio files (10 s or more in all)")
    c.add_argument("name")
    c.add_argument("files", nargs="+")
    c.add_argument("--description", default=None)
    c.add_argument("--labels", default=None, help='JSON object, e.g. \'{"accent": "british"}\'')
    c.add_argument("--remove-background-noise", action="store_true", help="clean the samples with the voice isolator")
    c.set_defaults(func=cmd_clone)
    d = vsub.add_parser("design", help="design 3 voices from a description; --save NAME keeps one")
    d.add_argument("description", help='e.g. "a deep, slow old man with a British accent" (20-1000 characters)')
    d.add_argument("--text", default=None, help="what the previews say (100-1000 characters); default: written "
                                                "to suit the description")
    d.add_argument("--save", metavar="NAME", default=None, help="save a preview as a voice with this name")
    d.add_argument("--pick", type=int, default=1, help="which preview --save keeps (1-3, default 1)")
    d.add_argument("--out", default=".", help="folder for design-1..3 audio files (default: here)")
    d.add_argument("--format", default="mp3_44100_128", help="output format of the files")
    d.add_argument("--model", default=None, help="eleven_multilingual_ttv_v2 (Kokoro design, default) or parler_tts")
    d.add_argument("--seed", type=int, default=None)
    d.add_argument("--guidance-scale", type=float, default=None, help="0-100, default 5: how strongly to follow")
    d.add_argument("--quality", type=float, default=None, help="-1..1: higher, less variety between previews")
    d.set_defaults(func=cmd_design)


__all__ = ["add_parsers"]
