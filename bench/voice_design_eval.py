"""Voice design, measured: does a described voice move the way the words say, are the three
previews different people, are they intelligible, and how long does it take.

For 20 varied descriptions, the voice design service (the code behind ``POST
/v1/text-to-voice/design``, Kokoro design) makes three previews of one fixed text, and each
preview is measured against the **typical voice of its gender**: the median of every English
Kokoro stock voice of that gender speaking the same text (children: the women's median, as
the design starts from it; no gender said: all voices).

* **direction hits**: for each attribute the description moves (``describe.parse_description``:
  pitch by 1 semitone or more, pace by 0.08 or more in log rate, spectral tilt by 0.4 dB/octave or
  more when tone words are used), whether the preview's measure lies on the described side of
  the typical voice. F0 is the YIN median; pace is syllables of the text per second of speech
  without pauses (``analysis.active_seconds``: the design checks its pace by the same speech
  time, but against one average voice, the mean style table, not these stock voices); tilt is
  ``analysis.spectral_tilt``. Hit rate = hits / checks over all previews (target >= 90 %).
* **similarity**: mean cosine of the speaker embeddings of the three preview pairs (1.0 would
  be one voice three times; the same voice on the same text scores ~0.97).
* **WER** of the previews (Whisper base), and **time** from the request to three encoded previews.

    python -m bench.voice_design_eval [--json bench/results/voice_design.json] [--only 1 5 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import time
from pathlib import Path

import numpy as np

from bench._common import REPO, scratch_services

TEXT = ("The small pup gnawed a hole in the sock. The fish twisted and turned on the bent hook. "
        "Press the pants and sew a button on the vest.")
DESCRIPTIONS = (
    "A deep, slow old man with a gravelly voice and a British accent.",
    "A high-pitched, fast-talking young woman, bubbly and excited.",
    "A calm, soothing female meditation guide with a soft, breathy voice.",
    "A gruff pirate captain barking orders, loud and raspy.",
    "A sinister villain who speaks slowly in a low, menacing voice.",
    "An energetic sports announcer, fast and bright, calling the final seconds of a game.",
    "A little girl, about eight years old, cheerful and playful.",
    "A tired, sad middle-aged man speaking slowly and quietly.",
    "A confident, authoritative female news anchor with a crisp, clear delivery.",
    "A warm grandmotherly woman telling a bedtime story, gentle and unhurried.",
    "A huge ogre with a booming, very deep voice.",
    "A tiny fairy with a squeaky, high voice who talks quickly.",
    "A young man with an Irish accent, friendly and upbeat.",
    "A monotone robot voice, flat and metallic, speaking deliberately.",
    "An elderly wizard with a slow, wise and resonant voice.",
    "A nervous teenage boy who talks fast, with a slightly higher pitch.",
    "A husky, low-pitched woman with a dark, mysterious tone.",
    "A brisk, sharp female drill sergeant, stern and commanding.",
    "A gentle, soft-spoken man with a warm, mellow voice, like a late-night radio host.",
    "An excited young American woman with a shrill, piercing voice who speaks very fast.",
)
PITCH_MIN, PACE_MIN, TILT_MIN = 1.0, 0.08, 0.4


def st(hz: float) -> float:
    return 12 * math.log2(max(hz, 1e-3) / 100)


def syllables(text: str) -> int:
    """Vowel groups per word (at least one): close enough for a rate both sides share."""
    return sum(max(1, len(re.findall(r"[aeiouy]+", w.rstrip("e") or w))) for w in re.findall(r"[a-z]+", text.lower()))


def measure(x: np.ndarray, embedder) -> dict:
    from polyvox.voicelab import analysis

    p = analysis.profile(x, embedder)
    return {"f0_st": st(p.f0_median), "f0_hz": p.f0_median, "pace": syllables(TEXT) / analysis.active_seconds(x),
            "tilt": p.tilt, "embedding": p.embedding}


def typical_voices(engine, space, embedder) -> dict[str | None, dict]:
    """Median measures of the English stock voices speaking TEXT, per gender (None: all)."""
    from polyvox.voicelab.style_space import render

    rows = []
    for name in space.names:
        if name[0] not in "ab":
            continue
        x = render(engine, space.tables[space.names.index(name)], TEXT, english="en-gb" if name[0] == "b" else "en-us")
        rows.append(("female" if name[1] == "f" else "male", measure(x, embedder)))
    out = {}
    for gender in ("female", "male", None):
        sel = [m for g, m in rows if gender is None or g == gender]
        out[gender] = {k: float(np.median([m[k] for m in sel])) for k in ("f0_st", "pace", "tilt")}
        out[gender]["voices"] = len(sel)
    return out


def checks(attrs, typical: dict, got: dict) -> list[tuple[str, bool]]:
    out = []
    if abs(attrs.pitch) >= PITCH_MIN:
        out.append(("pitch", (got["f0_st"] - typical["f0_st"]) * attrs.pitch > 0))
    if abs(attrs.pace) >= PACE_MIN:
        out.append(("pace", (math.log(got["pace"]) - math.log(typical["pace"])) * attrs.pace > 0))
    if attrs.tone_set and abs(attrs.tilt) >= TILT_MIN:
        out.append(("tilt", (got["tilt"] - typical["tilt"]) * attrs.tilt > 0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", default=str(REPO / "bench" / "results" / "voice_design.json"))
    ap.add_argument("--only", type=int, nargs="*", help="1-based description numbers")
    args = ap.parse_args()

    from polyvox.audio import decode_raw, parse_output_format
    from polyvox.engines.stt import WhisperTranscriber
    from polyvox.eval.asr import round_trip_wer
    from polyvox.services.keys import Principal
    from polyvox.services.voice_design import DesignRequest, VoiceDesignService
    from polyvox.services.voice_lab import VoiceLabService
    from polyvox.voicelab.describe import parse_description

    svc, settings = scratch_services("polyvox-bench-design-")
    lab = svc.component(VoiceLabService)
    design = svc.component(VoiceDesignService)
    principal = Principal("", "bench", True)
    asr = WhisperTranscriber(settings.models_dir, "base")
    fmt = parse_output_format("pcm_16000")

    def run(description: str, seed: int):
        req = DesignRequest(voice_description=description, text=TEXT, output_format=fmt.name, seed=seed)
        t0 = time.perf_counter()
        out = asyncio.run(design.design(principal, req))
        return out, time.perf_counter() - t0

    with lab.engine_context() as (engine, embedder, space, _stock):
        typical = typical_voices(engine, space, embedder)
    print("typical voices on the bench text: " + ", ".join(
        f"{g or 'all'}: F0 {100 * 2 ** (t['f0_st'] / 12):.0f} Hz, {t['pace']:.2f} syl/s, tilt {t['tilt']:.2f} dB/oct "
        f"({t['voices']} voices)" for g, t in typical.items()), flush=True)
    run(DESCRIPTIONS[0], 0)  # warm: first renders and analysis set-up are not timed

    rows = []
    picked = [i for i in range(1, len(DESCRIPTIONS) + 1) if not args.only or i in args.only]
    header = f"{'#':>2} {'description':46s} {'who':14s} {'hits':>5} {'F0 Hz typ>got':>14} {'syl/s typ>got':>14} " \
             f"{'tilt typ>got':>13} {'sim':>5} {'WER':>5} {'time':>6}"
    print(header + "\n" + "-" * len(header), flush=True)
    with lab.engine_context() as (_engine, embedder, _space, _stock):
        for i in picked:
            description = DESCRIPTIONS[i - 1]
            attrs = parse_description(description)
            out, seconds = run(description, i)
            base = typical["female" if attrs.age == "child" else attrs.gender]
            got = [measure(decode_raw(p.audio, fmt)[0], embedder) for p in out.previews]
            wers = [round_trip_wer(decode_raw(p.audio, fmt)[0], 16000, TEXT, asr, "en")[0] for p in out.previews]
            per_preview = [dict(checks(attrs, base, g)) for g in got]
            hits = [ok for c in per_preview for ok in c.values()]
            e = [g["embedding"] for g in got]
            sims = [float(e[a] @ e[b]) for a in range(3) for b in range(a + 1, 3)]
            row = {
                "description": description, "gender": attrs.gender, "age": attrs.age,
                "accent": attrs.accent.label if attrs.accent else None, "described": attrs.describe(),
                "checks": len(hits), "hits": sum(hits),
                "typical": {"f0_hz": round(100 * 2 ** (base["f0_st"] / 12), 1), "pace_sps": round(base["pace"], 2),
                            "tilt": round(base["tilt"], 2)},
                "previews": [{"f0_hz": round(g["f0_hz"], 1), "pace_sps": round(g["pace"], 2), "tilt": round(g["tilt"], 2),
                              "wer": round(w, 3), "style": p.report.get("style"), "speed": p.report.get("speed"),
                              "pitch_semitones": p.report.get("pitch_semitones"),
                              "formant_ratio": p.report.get("formant_ratio"), "direction": c}
                             for g, w, p, c in zip(got, wers, out.previews, per_preview)],
                "pairwise_similarity": [round(s, 3) for s in sims], "mean_similarity": round(float(np.mean(sims)), 3),
                "wer": round(float(np.mean(wers)), 3), "seconds": round(seconds, 2),
            }
            rows.append(row)
            f0 = np.mean([g["f0_hz"] for g in got])
            pace = np.mean([g["pace"] for g in got])
            tilt = np.mean([g["tilt"] for g in got])
            who = "/".join(x for x in (attrs.gender or "-", attrs.age or "-") if x)
            print(f"{i:2d} {description[:46]:46s} {who:14s} {row['hits']:>2}/{row['checks']:<2} "
                  f"{row['typical']['f0_hz']:6.0f}>{f0:<7.0f} {base['pace']:6.2f}>{pace:<7.2f} "
                  f"{base['tilt']:6.2f}>{tilt:<6.2f} {row['mean_similarity']:5.2f} {row['wer'] * 100:4.0f}% "
                  f"{seconds:5.1f}s", flush=True)
    svc.close()

    per = {}
    for name in ("pitch", "pace", "tilt"):
        oks = [p["direction"][name] for r in rows for p in r["previews"] if name in p["direction"]]
        per[name] = {"checks": len(oks), "hits": sum(oks), "rate": round(sum(oks) / len(oks), 3) if oks else None}
    total = sum(r["checks"] for r in rows)
    summary = {
        "descriptions": len(rows), "previews": 3 * len(rows),
        "direction_hit_rate": round(sum(r["hits"] for r in rows) / max(1, total), 3), "direction_checks": total,
        "by_attribute": per,
        "mean_pairwise_similarity": round(float(np.mean([r["mean_similarity"] for r in rows])), 3),
        "max_pairwise_similarity": round(float(max(max(r["pairwise_similarity"]) for r in rows)), 3),
        "mean_wer": round(float(np.mean([r["wer"] for r in rows])), 3),
        "mean_seconds_to_3_previews": round(float(np.mean([r["seconds"] for r in rows])), 2),
        "max_seconds_to_3_previews": round(float(max(r["seconds"] for r in rows)), 2),
        "text": TEXT, "typical": {str(k): {kk: round(v, 3) for kk, v in t.items()} for k, t in typical.items()},
    }
    print(json.dumps({k: v for k, v in summary.items() if k not in ("text", "typical")}, indent=2))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"summary": summary, "descriptions": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
