"""Instant voice cloning, measured: how close, how intelligible, how fast.

For each speaker in ``shared/testdata/speaker_sets`` (VCC 2016 SF1/SM1, five LibriSpeech
test-other speakers): clone from the first 60 s of recordings through the voice lab (the
same code path as ``POST /v1/voices/add`` plus its refinement job), then speak 10 held-out
Harvard sentences and score

* **similarity**: cosine of the d-vector of the 10 rendered sentences to the d-vector of the
  speaker's *other* recordings (not used for cloning), for the clone and for the five stock
  voices ranked closest (the best of them is "best stock");
* **ceiling**: the same cosine between the cloning recordings and the held-out recordings
  (real vs real), for scale;
* **WER** of the clone's sentences (Whisper base), F0 median and speaking rate vs the real
  held-out speech;
* **time to clone** (sample preparation, first guess and the style search).

    python -m bench.voice_clone [--speakers vcc2016/SF1 ...] [--seconds 60] [--json bench/results/voice_clone.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from bench._common import REPO, SENTENCES, SHARED, scratch_services

SPEAKERS = ("vcc2016/SF1", "vcc2016/SM1", "librispeech_test_other/1688", "librispeech_test_other/1998",
            "librispeech_test_other/2414", "librispeech_test_other/3080", "librispeech_test_other/367")


def _split(folder: Path, seconds: float) -> tuple[list[Path], list[Path]]:
    files = sorted(p for p in folder.iterdir() if p.suffix in (".wav", ".flac"))
    used, total = [], 0.0
    for f in files:
        if total >= seconds:
            break
        used.append(f)
        total += sf.info(str(f)).duration
    held = files[len(used):] or files[-2:]  # LibriSpeech speakers have ~70 s: keep at least two held out
    if held[0] in used:
        used = [f for f in used if f not in held]
    return used, held


def _load16(paths: list[Path]) -> np.ndarray:
    from polyvox.audio import dsp

    out = []
    for p in paths:
        x, sr = sf.read(str(p), dtype="float32")
        out.append(dsp.resample(x if x.ndim == 1 else x.mean(axis=1), sr, 16000))
    return np.concatenate(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--speakers", nargs="*", default=list(SPEAKERS))
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--sentences", type=int, default=10)
    ap.add_argument("--json", default=str(REPO / "bench" / "results" / "voice_clone.json"))
    args = ap.parse_args()

    from polyvox.engines.stt import WhisperTranscriber
    from polyvox.eval.asr import round_trip_wer
    from polyvox.services.voice_lab import SampleUpload, VoiceLabService
    from polyvox.voicelab import analysis
    from polyvox.voicelab.clone import LANGUAGE_PREFIXES
    from polyvox.voicelab.style_space import render

    svc, settings = scratch_services("polyvox-bench-clone-")
    lab = svc.component(VoiceLabService)
    asr = WhisperTranscriber(settings.models_dir, "base")
    texts = list(SENTENCES[: args.sentences])
    rows = []
    with lab.engine_context() as (engine, embedder, space, stock):
        pass  # warm: engine, embedder and the stock profiles are ready before the clock starts
    for spk in args.speakers:
        used, held = _split(SHARED / "testdata" / "speaker_sets" / spk, args.seconds)
        t0 = time.perf_counter()
        voice = lab.add_voice(name=spk, uploads=[SampleUpload(p, p.name, None) for p in used], description=None,
                              labels=None, remove_background_noise=False, key_id=None, refine=False)
        t_first = time.perf_counter() - t0
        report = lab.refine(voice.voice_id)
        t_clone = time.perf_counter() - t0
        asset = lab.load_kokoro_asset(svc.voices.get(voice.voice_id).engines["kokoro"].split(":", 1)[1])
        real_held = _load16(held)
        target = embedder.embed(real_held)
        ceiling = float(embedder.embed(_load16(used)) @ target)
        with lab.engine_context() as (engine, embedder, space, stock):
            clone_x = [render(engine, asset, t) for t in texts]
            ranked = [n for n, _ in stock.ranked(embedder.embed(_load16(used))) if n[0] in LANGUAGE_PREFIXES["en"]][:5]
            stock_sims = {}
            for name in ranked:
                xs = [render(engine, space.tables[space.names.index(name)], t,
                             english="en-gb" if name[0] == "b" else "en-us") for t in texts]
                stock_sims[name] = float(embedder.embed(np.concatenate(xs)) @ target)
        clone_all = np.concatenate(clone_x)
        sim = float(embedder.embed(clone_all) @ target)
        wers = [round_trip_wer(x, 16000, t, asr, "en")[0] for x, t in zip(clone_x, texts)]
        best = max(stock_sims, key=stock_sims.get)
        got, real = analysis.profile(clone_all, embedder), analysis.profile(real_held, embedder)
        row = {
            "speaker": spk, "clone_seconds_of_audio": round(sum(sf.info(str(p)).duration for p in used), 1),
            "held_out_recordings": len(held), "time_to_usable_s": round(t_first, 1), "time_to_clone_s": round(t_clone, 1),
            "similarity_clone": round(sim, 4), "best_stock_voice": best, "similarity_best_stock": round(stock_sims[best], 4),
            "margin": round(sim - stock_sims[best], 4), "ceiling_real_vs_real": round(ceiling, 4),
            "wer_clone": round(float(np.mean(wers)), 4), "f0_clone_hz": round(got.f0_median, 1),
            "f0_real_hz": round(real.f0_median, 1), "rate_clone_sps": round(got.rate, 2), "rate_real_sps": round(real.rate, 2),
            "search": {k: report[k] for k in ("style", "speed", "pitch_semitones", "evaluations", "similarity")},
        }
        rows.append(row)
        print(f"{spk:32s} clone {sim:.3f}  best stock {stock_sims[best]:.3f} ({best})  margin {sim - stock_sims[best]:+.3f}"
              f"  ceiling {ceiling:.3f}  WER {row['wer_clone'] * 100:.1f}%  F0 {got.f0_median:.0f}/{real.f0_median:.0f} Hz"
              f"  rate {got.rate:.2f}/{real.rate:.2f}  usable {t_first:.1f}s  cloned {t_clone:.1f}s", flush=True)
    svc.close()
    wins = sum(r["margin"] > 0 for r in rows)
    summary = {"speakers": len(rows), "clone_beats_best_stock": wins,
               "mean_margin": round(float(np.mean([r["margin"] for r in rows])), 4),
               "mean_similarity_clone": round(float(np.mean([r["similarity_clone"] for r in rows])), 4),
               "mean_similarity_best_stock": round(float(np.mean([r["similarity_best_stock"] for r in rows])), 4),
               "mean_ceiling": round(float(np.mean([r["ceiling_real_vs_real"] for r in rows])), 4),
               "mean_wer_clone": round(float(np.mean([r["wer_clone"] for r in rows])), 4),
               "mean_time_to_clone_s": round(float(np.mean([r["time_to_clone_s"] for r in rows])), 1)}
    print(json.dumps(summary, indent=2))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"summary": summary, "speakers": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
