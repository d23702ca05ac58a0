"""``polyvox eval tts``: intelligibility, naturalness proxy and alignment, per engine and voice.

For each (model, voice) it synthesizes the Harvard sentences through the same service
path the API uses, transcribes them with the packaged Whisper, and reports word error
rate, DNSMOS P.835 overall score, and the mean absolute error between the returned
character start times and Whisper's word starts.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass

import numpy as np

from polyvox.audio import decode_raw, parse_output_format
from polyvox.eval.asr import to_16k_mono
from polyvox.eval.metrics import alignment_error, wer
from polyvox.eval.sentences import HARVARD

DEFAULT_CASES = (
    ("eleven_multilingual_v2", "21m00Tcm4TlvDq8ikWAM"),  # Rachel = Kokoro af_heart
    ("eleven_multilingual_v2", "JBFqnCBsd6RMkjVDRZzb"),  # George = Kokoro bm_george
    ("eleven_multilingual_v2", "pNInz6obpgDQGcFmaJgB"),  # Adam = Kokoro blend
    ("kokoro", "am_michael"),
    ("kokoro", "bf_emma"),
    ("piper", "en_US-joe-medium"),
    ("espeak", "21m00Tcm4TlvDq8ikWAM"),
)


@dataclass
class Row:
    model_id: str
    voice_id: str
    sentences: int
    wer: float
    dnsmos_ovrl: float | None
    alignment_mae_ms: float | None
    audio_seconds: float


async def _render(services, principal, model_id, voice_id, text):
    from polyvox.services.tts import TTSRequest

    plan = services.tts.plan(principal, TTSRequest(text=text, voice_id=voice_id, model_id=model_id,
                                                   output_format="pcm_24000", enable_logging=False, billable=False))
    services.tts.admit(plan)
    chunks = [c async for c in services.tts.stream(plan)]
    audio, rate = decode_raw(b"".join(c.audio for c in chunks), parse_output_format("pcm_24000"))
    starts = np.array(sum((c.starts for c in chunks), []))
    return audio, rate, starts


def evaluate(services, cases=DEFAULT_CASES, sentences=HARVARD, dnsmos=None, whisper="tiny.en") -> list[Row]:
    from polyvox.engines.stt import WhisperTranscriber
    from polyvox.services.keys import Principal

    asr = WhisperTranscriber(services.settings.models_dir, model=whisper)
    principal = Principal("eval", "eval", True)
    rows = []
    for model_id, voice_id in cases:
        refs, hyps, maes, moss, secs = [], [], [], [], 0.0
        for text in sentences:
            audio, rate, starts = asyncio.run(_render(services, principal, model_id, voice_id, text))
            a16 = to_16k_mono(audio, rate)
            tr = asr.transcribe(a16, language="en", word_timestamps=True)
            refs.append(text)
            hyps.append(tr.text)
            maes.append(alignment_error(starts, text, tr.words))
            secs += len(audio) / rate
            if dnsmos is not None:
                moss.append(dnsmos.score(a16, 16000)["ovrl"])
        finite = [m for m in maes if np.isfinite(m)]
        rows.append(Row(model_id, voice_id, len(sentences), wer(" ".join(refs), " ".join(hyps)),
                        float(np.mean(moss)) if moss else None,
                        1000 * float(np.mean(finite)) if finite else None, secs))
    return rows


def main(argv: list[str] | None = None) -> int:
    import argparse

    from polyvox.services.container import Services
    from polyvox.settings import Settings

    p = argparse.ArgumentParser(prog="polyvox eval tts")
    p.add_argument("--sentences", type=int, default=len(HARVARD))
    p.add_argument("--whisper", default="tiny.en")
    p.add_argument("--no-dnsmos", action="store_true")
    p.add_argument("--json", help="also write the rows as JSON here")
    args = p.parse_args(argv)
    services = Services.build(Settings())
    dnsmos = None
    if not args.no_dnsmos:
        try:
            from polyvox.eval.dnsmos import DnsMos

            dnsmos = DnsMos()
        except (FileNotFoundError, RuntimeError) as e:
            print(f"DNSMOS skipped: {e}")
    rows = evaluate(services, sentences=HARVARD[: args.sentences], dnsmos=dnsmos, whisper=args.whisper)
    print(f"{'model':24} {'voice':22} {'WER':>6} {'DNSMOS':>7} {'align MAE':>10} {'audio s':>8}")
    for r in rows:
        mos = f"{r.dnsmos_ovrl:.2f}" if r.dnsmos_ovrl is not None else "-"
        mae = f"{r.alignment_mae_ms:.0f} ms" if r.alignment_mae_ms is not None else "-"
        print(f"{r.model_id:24} {r.voice_id:22} {r.wer:6.1%} {mos:>7} {mae:>10} {r.audio_seconds:8.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([asdict(r) for r in rows], f, indent=2)
    services.close()
    return 0


__all__ = ["DEFAULT_CASES", "Row", "evaluate", "main"]
