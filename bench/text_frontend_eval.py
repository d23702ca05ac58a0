"""Text front-end figures: normalisation WER on/off, break durations, alignment MAE, long text.

Run::

    python -m bench.text_frontend_eval [--engines kokoro,piper,espeak] [--out results.json]

Everything runs in this process through ``TTSService`` (the path the API uses), on a fresh
data folder, with the packaged Whisper tiny.en as the listener. It prints:

1. **Round-trip WER, normalisation on vs off**, on sentences full of numbers, dates, times,
   currencies, units, phone numbers and abbreviations (``NUMBER_SENTENCES``). Both the
   reference and Whisper's transcript are put in spoken form by the English normaliser
   before scoring, so "$1.5 million" and "one point five million dollars" count as the same
   words: what is measured is whether the listener heard the right words.
2. **Break durations**: ``<break time="X"/>`` for X in 0.3, 0.75, 1.5, 3 s; the silence
   measured in the output (10 ms frames 40 dB below the peak) and its error.
3. **Alignment MAE per engine**: |character start - Whisper word start| over the words of
   the read-speech sentences of ``testdata/read_speech_en`` (LJ Speech / CMU ARCTIC
   transcripts, which hold years, "i.e." and "etc."), with the ``alignment`` over the
   original characters.
4. **Long text**: a 1,400-character passage: segments, loudness spread across segments
   (std of per-segment LUFS), speaking-rate spread (coefficient of variation of characters
   per second), the sample step at each join, and ``dsp.detect_click`` around the joins
   compared with the same score on stretches of the speech itself.
5. **Coverage**: the normalisation corpus pass rate per language and which languages have
   full, numbers-only or no normalisation.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._common import SHARED, kokoro_voices_dir

NUMBER_SENTENCES = (
    "I paid $1.5M for the house on 3/14/2025.",
    "The meeting starts at 5:30 pm on Jan. 5th.",
    "Call 555-123-4567 before 9 a.m. tomorrow.",
    "Tickets cost €20, or £17.50 at the door.",
    "Sales grew 15% to $2.3 billion in 2024.",
    "He ran 26.2 miles in 3:45:10 last year.",
    "The 21st floor is 300 ft above the street.",
    "Dr. Smith lives at 42 Elm St. in Boston.",
    "Add 1/2 cup of sugar and 250 ml of milk.",
    "It was -5°C on Dec. 24, 1999.",
    "The 1990s gave us 56k modems and 3.5 inch disks.",
    "Flight 815 leaves at 10:45 from gate 12.",
    "About 1,234,567 people live within 50 km.",
    "Prices start at $0.99 and go up to $199.",
    "Chapter IV covers the years 1914-1918.",
    "Email info@example.com or visit www.example.com.",
    "The 3rd and 4th quarters brought 12% growth.",
    "She weighs 3.5kg and is 52 cm long.",
    "We have 2 CDs, 3 DVDs and 1 MP3 player.",
    "On 2023-07-04 the temperature hit 98.6°F.",
)
LONG_TEXT = (
    "The committee, which had met every Thursday for nearly two years, finally agreed on the budget, the "
    "schedule, and the long list of repairs that the old library needed before winter. Nobody was entirely "
    "happy with it. The roof would be fixed first, because the rain had already damaged a whole shelf of "
    "maps; the heating would follow in October, if the money arrived on time, and the windows, which rattled "
    "in every storm, would have to wait until spring. Mrs. Alvarez, who had chaired the committee since "
    "its first meeting, read the plan aloud twice, slowly, so that everyone in the room could object one "
    "last time. Nobody did. Outside, the wind pushed the last of the leaves across the square, and a bus "
    "went by with its lights already on, although it was only four in the afternoon. The librarian made "
    "tea. Someone found a box of biscuits that had been hidden behind the catalogue drawers since the "
    "spring, and for a while the talk turned to other things: the new bakery on the corner, the football, "
    "the price of coal, and the strange noise the boiler made at night. When the meeting finally ended, "
    "it was dark, and the caretaker was waiting at the door with his keys, patient as always, humming a "
    "tune that nobody could quite place. They walked out together into the cold, and the door closed "
    "behind them with the same heavy sound it had made for a hundred years, and would, everyone hoped, "
    "go on making for a hundred more."
)
ENGINES = {"kokoro": ("eleven_multilingual_v2", "21m00Tcm4TlvDq8ikWAM", "pcm_24000"),
           "piper": ("piper", "en_US-joe-medium", "pcm_22050"),
           "espeak": ("espeak", "21m00Tcm4TlvDq8ikWAM", "pcm_22050")}


def _services(workdir: Path):
    from polyvox.services.container import Services
    from polyvox.settings import EngineSettings, LimitSettings, Settings

    voices = kokoro_voices_dir()
    settings = Settings(data_dir=workdir, admin_key="sk_bench_admin_0123456789abcdef",
                        engines=EngineSettings(kokoro_voices_dir=voices, workers=2),
                        limits=LimitSettings(per_key_concurrency=8, max_queue=64))
    svc = Services.build(settings)
    svc.bootstrap_admin()
    return svc


async def _render(svc, text: str, engine: str, **kw):
    from polyvox.audio import decode_raw, parse_output_format
    from polyvox.services.tts import TTSRequest

    model, voice, fmt = ENGINES[engine]
    plan = svc.tts.plan(svc.local_principal(), TTSRequest(text=text, voice_id=voice, model_id=model,
                                                          output_format=fmt, enable_logging=False,
                                                          billable=False, **kw))
    svc.tts.admit(plan)
    chunks = [c async for c in svc.tts.stream(plan)]
    pcm, rate = decode_raw(b"".join(c.audio for c in chunks), parse_output_format(fmt))
    return pcm, rate, chunks, plan


def _spoken(text: str) -> str:
    from polyvox.text.normalize import normalize

    return normalize(text, "en").text


def normalization_wer(svc, asr, engines) -> dict:
    from polyvox.eval.asr import to_16k_mono
    from polyvox.eval.metrics import wer

    out = {}
    for engine in engines:
        row = {}
        for mode in ("on", "off"):
            refs, hyps, per = [], [], []
            for text in NUMBER_SENTENCES:
                pcm, rate, _, _ = asyncio.run(_render(svc, text, engine, apply_text_normalization=mode, seed=1))
                heard = asr.transcribe(to_16k_mono(pcm, rate), language="en").text
                ref, hyp = _spoken(text), _spoken(heard)
                refs.append(ref)
                hyps.append(hyp)
                per.append({"text": text, "heard": heard, "wer": round(wer(ref, hyp), 3)})
            row[mode] = {"wer": round(wer(" ".join(refs), " ".join(hyps)), 4), "sentences": per}
        out[engine] = row
        print(f"  {engine:7s} WER normalisation on {row['on']['wer']:.3f}   off {row['off']['wer']:.3f}", flush=True)
    return out


def _silences(pcm: np.ndarray, rate: int, floor_db: float = -40.0) -> list[float]:
    hop = int(rate * 0.005)
    n = len(pcm) // hop
    rms = np.sqrt((pcm[: n * hop].astype(np.float64).reshape(n, hop) ** 2).mean(axis=1)) + 1e-9
    quiet = 20 * np.log10(rms / rms.max()) < floor_db
    loud = np.flatnonzero(~quiet)
    runs, cur = [], 0
    for q in quiet[loud[0]: loud[-1] + 1]:
        if q:
            cur += 1
        elif cur:
            runs.append(cur * hop / rate)
            cur = 0
    return runs


def breaks(svc, engines) -> dict:
    out = {}
    for engine in engines:
        rows = []
        for secs in (0.3, 0.75, 1.5, 3.0):
            pcm, rate, _, _ = asyncio.run(_render(svc, f'Good morning. <break time="{secs}s"/> Good night.', engine))
            got = max(_silences(pcm, rate))
            rows.append({"asked": secs, "measured": round(got, 3), "error_ms": round(1000 * (got - secs), 1)})
        out[engine] = rows
        print(f"  {engine:7s} " + "  ".join(f"{r['asked']}s->{r['measured']}s" for r in rows), flush=True)
    return out


def read_speech_sentences(limit: int) -> list[str]:
    manifest = Path(os.environ.get("POLYVOX_TESTDATA", SHARED / "testdata")) / "read_speech_en" / "MANIFEST.csv"
    if not manifest.is_file():
        from polyvox.eval.sentences import HARVARD
        return list(HARVARD[:limit])
    rows = [r["transcript"].strip() for r in csv.DictReader(open(manifest, encoding="utf-8"))
            if r.get("transcript", "").strip()]
    # the ones with numbers and abbreviations first, then the rest
    rows.sort(key=lambda t: (not any(c.isdigit() for c in t) and "i.e." not in t and "etc." not in t, len(t)))
    return rows[:limit]


def alignment(svc, asr, engines, sentences) -> dict:
    from polyvox.eval.asr import to_16k_mono
    from polyvox.eval.metrics import alignment_error

    out = {}
    for engine in engines:
        maes = []
        for text in sentences:
            pcm, rate, chunks, _ = asyncio.run(_render(svc, text, engine))
            starts = sum((c.starts for c in chunks), [])
            tr = asr.transcribe(to_16k_mono(pcm, rate), language="en", word_timestamps=True)
            m = alignment_error(starts, text, tr.words)
            if np.isfinite(m):
                maes.append(m)
        out[engine] = {"mae_ms": round(1000 * float(np.mean(maes)), 1), "sentences": len(maes),
                       "p90_ms": round(1000 * float(np.percentile(maes, 90)), 1)}
        print(f"  {engine:7s} alignment MAE {out[engine]['mae_ms']} ms over {len(maes)} sentences "
              f"(p90 of sentence MAE {out[engine]['p90_ms']} ms)", flush=True)
    return out


def long_text(svc, engines) -> dict:
    from polyvox.audio import decode_raw, dsp, parse_output_format

    out = {}
    for engine in engines:
        t0 = time.monotonic()
        pcm, rate, chunks, plan = asyncio.run(_render(svc, LONG_TEXT, engine))
        wall = time.monotonic() - t0
        fmt = parse_output_format(ENGINES[engine][2])
        pieces = [decode_raw(c.audio, fmt)[0] for c in chunks]
        levels = [dsp.loudness_lufs(p, rate) for p in pieces if len(p) > rate]
        rates = [len([ch for ch in c.chars if not ch.isspace()]) / c.pcm_seconds for c in chunks
                 if c.pcm_seconds > 1.0]
        whole = np.concatenate(pieces)
        joins = np.cumsum([len(p) for p in pieces])[:-1]
        steps = [abs(float(whole[j]) - float(whole[j - 1])) for j in joins]
        clicks = [dsp.detect_click(whole[max(0, j - 240): j + 240], rate) for j in joins]
        rng = np.random.default_rng(0)
        speech = [dsp.detect_click(whole[k: k + 480], rate) for k in rng.integers(0, len(whole) - 480, 200)]
        out[engine] = {"chars": len(LONG_TEXT), "segments": len(plan.segments),
                       "continued_segments": sum(s.continues for s in plan.segments),
                       "audio_s": round(len(pcm) / rate, 1), "wall_s": round(wall, 1),
                       "lufs_std_db": round(float(np.std(levels)), 2),
                       "lufs_range_db": round(float(np.ptp(levels)), 2),
                       "rate_cv": round(float(np.std(rates) / np.mean(rates)), 3),
                       "max_join_step": round(max(steps) if steps else 0.0, 5),
                       "max_join_click": round(float(max(clicks)) if clicks else 0.0, 2),
                       "speech_click_p90": round(float(np.percentile(speech, 90)), 2)}
        r = out[engine]
        print(f"  {engine:7s} {r['segments']} segments ({r['continued_segments']} with lookahead), "
              f"loudness std {r['lufs_std_db']} dB (range {r['lufs_range_db']}), pace CV {r['rate_cv']}, "
              f"sample step at joins <= {r['max_join_step']}, click score at joins <= {r['max_join_click']} "
              f"(speech itself: p90 {r['speech_click_p90']})", flush=True)
    return out


def coverage() -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from polyvox.text.normalize import NUMBER_LANGUAGES, get_normalizer
    from polyvox.text.normalize import coverage as cov
    from tests.normalize_cases import CASES

    out = {"corpus": {}, "levels": {}}
    for lang, cases in CASES.items():
        n = get_normalizer(lang)
        ok = sum(n(src) == want for src, want in cases)
        out["corpus"][lang] = {"cases": len(cases), "pass": ok}
    for lang in ["en", "es", "fr", "de", "it", "pt", *sorted(NUMBER_LANGUAGES)]:
        out["levels"][lang] = cov(lang)
    full = [k for k, v in out["levels"].items() if v == "full"]
    nums = [k for k, v in out["levels"].items() if v == "numbers"]
    print("  corpus: " + ", ".join(f"{k} {v['pass']}/{v['cases']}" for k, v in out["corpus"].items()))
    print(f"  full normalisation: {' '.join(full)}")
    print(f"  numbers only ({len(nums)}): {' '.join(nums)}")
    print("  every other language: none (the engine's own eSpeak NG number reading)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engines", default="kokoro,piper,espeak")
    ap.add_argument("--sentences", type=int, default=12, help="read-speech sentences for the alignment MAE")
    ap.add_argument("--skip", default="", help="comma list of: wer,breaks,alignment,long,coverage")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    if "kokoro" in engines and kokoro_voices_dir() is None:
        print("Kokoro voice packs not found; skipping kokoro")
        engines.remove("kokoro")
    skip = set(args.skip.split(","))
    workdir = Path(tempfile.mkdtemp(prefix="polyvox-frontend-bench-"))
    results: dict = {"engines": engines}
    svc = _services(workdir)
    try:
        from polyvox.engines.stt import WhisperTranscriber

        asr = WhisperTranscriber(svc.settings.models_dir, model="tiny.en")
        if "coverage" not in skip:
            print("Normalisation coverage")
            results["coverage"] = coverage()
        if "wer" not in skip:
            print(f"Round-trip WER on {len(NUMBER_SENTENCES)} number/date/currency sentences (Whisper tiny.en)")
            results["normalization_wer"] = normalization_wer(svc, asr, engines)
        if "breaks" not in skip:
            print("Break durations (silence measured in the output)")
            results["breaks"] = breaks(svc, engines)
        if "alignment" not in skip:
            sents = read_speech_sentences(args.sentences)
            print(f"Alignment MAE vs Whisper word starts ({len(sents)} read-speech sentences)")
            results["alignment"] = alignment(svc, asr, engines, sents)
        if "long" not in skip:
            print(f"Long text ({len(LONG_TEXT)} characters)")
            results["long_text"] = long_text(svc, engines)
    finally:
        svc.close()
        shutil.rmtree(workdir, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
