"""Voice changer and sound effects: quality and speed figures.

    python -m bench.audio_tools_changer_sfx [--sections vc,sfx,ttfb] [--quick] [--out results.json]

* ``vc``    the embedded voice changer on real read speech (read_speech_en: LJ Speech, CMU ARCTIC;
            speaker_sets: VCC2016 SF1/SM1), each clip converted to a voice of the other gender:
            output WER (Whisper tiny.en) against the manifest transcript (VCC: against Whisper base
            on the source), d-vector cosine of the output to the target voice and to the source
            speaker, log-F0 correlation with the source, duration error, RTF (warm); also with the
            pitch / loudness transfer switched off (ablation).
* ``sfx``   the procedural sound designer: RTF per prompt at 2, 5 and 10 s, loudness (LUFS).
* ``ttfb``  time to first byte of POST /v1/speech-to-speech/{voice}/stream on a live server
            (uvicorn in a thread on 127.0.0.1) against the whole answer of the non-streaming route.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from bench._common import SHARED, free_port, kokoro_voices_dir

TESTDATA = Path(os.environ.get("POLYVOX_TESTDATA", SHARED / "testdata"))
FEMALE_TARGET, MALE_TARGET = "21m00Tcm4TlvDq8ikWAM", "pNInz6obpgDQGcFmaJgB"  # Rachel, Adam
REF_TEXT = "It is easy to tell the depth of a well. The juice of lemons makes fine punch."


def _services(tmp: Path):
    from polyvox.services.container import Services
    from polyvox.settings import EngineSettings, Settings

    voices = kokoro_voices_dir()
    settings = Settings(data_dir=tmp, admin_key="sk_bench_admin_0123456789",
                        engines=EngineSettings(kokoro_voices_dir=voices, workers=2))
    svc = Services.build(settings)
    svc.bootstrap_admin()
    return svc


def _clips(quick: bool) -> list[dict]:
    rows = []
    with open(TESTDATA / "read_speech_en" / "MANIFEST.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["file"].startswith(("cmu_arctic/", "ljspeech/LJ001-000", "jfk/")):
                rows.append({"path": TESTDATA / "read_speech_en" / r["file"], "name": r["file"], "text": r["transcript"],
                             "gender": r.get("gender") or "M", "speaker": r["speaker"]})
    for spk, g in (("SF1", "F"), ("SM1", "M")):
        for p in sorted((TESTDATA / "speaker_sets" / "vcc2016" / spk).glob("*.wav"))[:3]:
            rows.append({"path": p, "name": f"vcc2016/{spk}/{p.name}", "text": None, "gender": g, "speaker": spk})
    return rows[:6] if quick else rows


def _convert(vc, services, path: Path, voice_id: str, **kw):
    import asyncio

    from polyvox.services.voice_changer import STSRequest

    async def run():
        plan = vc.plan(services.local_principal(), STSRequest(voice_id=voice_id, output_format="pcm_24000",
                                                              enable_logging=False, **kw))
        vc.admit(plan)
        await vc.open(plan, path)
        data = await vc.convert(plan)
        return data, plan

    return asyncio.run(run())


def bench_vc(services, quick: bool) -> dict:
    from polyvox.audio import decode_audio, decode_raw, parse_output_format
    from polyvox.audio.dsp import resample
    from polyvox.engines.stt.diarize import SpeakerEmbedder
    from polyvox.engines.stt.whisper import WhisperTranscriber
    from polyvox.engines.tts.base import SynthesisRequest
    from polyvox.engines.vc import prosody
    from polyvox.engines.vc.resynth import ResynthVC
    from polyvox.eval.metrics import wer
    from polyvox.services.stt import SttService
    from polyvox.services.voice_changer import VoiceChangerService

    vc = services.component(VoiceChangerService)
    emb = SpeakerEmbedder()
    tiny = services.component(SttService).transcriber("tiny.en")
    base = WhisperTranscriber(services.settings.models_dir, "base")
    kokoro = services.engines.get_loaded("kokoro")
    targets = {}
    for vid in (FEMALE_TARGET, MALE_TARGET):
        spec = services.voices.get(vid).engines["kokoro"]
        syn = kokoro.synthesize(SynthesisRequest(text=REF_TEXT, voice=spec, language="en"))
        targets[vid] = emb.embed(resample(syn.audio, syn.sample_rate, 16000))
    speaker_refs: dict[str, np.ndarray] = {}
    fmt = parse_output_format("pcm_24000")

    def cos(a, b):
        return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))

    variants = {"full": (True, True)} if quick else {"full": (True, True), "no_pitch": (False, True),
                                                     "no_loudness": (True, False), "timing_only": (False, False)}
    rows = []
    clips = _clips(quick)
    _convert(vc, services, clips[0]["path"], MALE_TARGET)  # warm: load Whisper, Kokoro
    for variant, (pitch, loud) in variants.items():
        engine = services.engines.get_loaded("vc:resynth")
        assert isinstance(engine, ResynthVC)
        engine.transfer_pitch, engine.transfer_loudness = pitch, loud
        for c in clips:
            src16, _ = decode_audio(c["path"], target_rate=16000)
            target = MALE_TARGET if c["gender"] == "F" else FEMALE_TARGET
            t0 = time.perf_counter()
            data, _plan = _convert(vc, services, c["path"], target)
            el = time.perf_counter() - t0
            out, rate = decode_raw(data, fmt)
            out16 = resample(out, rate, 16000)
            ref = c["text"] or base.transcribe(src16, language="en").text
            hyp = tiny.transcribe(out16, language="en").text
            if c["speaker"] not in speaker_refs:
                others = [p for p in c["path"].parent.glob(c["path"].name.split("_a0")[0] + "*" if "arctic" in c["name"]
                                                           else "*.wav") if p != c["path"]][:3]
                speaker_refs[c["speaker"]] = emb.embed(np.concatenate(
                    [decode_audio(p, target_rate=16000)[0] for p in others] or [src16]))
            e_out = emb.embed(out16)
            fa, fb = prosody.yin_f0(src16, 16000).f0, prosody.yin_f0(out16, 16000).f0
            n = min(len(fa), len(fb))
            m = (fa[:n] > 0) & (fb[:n] > 0)
            corr = float(np.corrcoef(np.log(fa[:n][m]), np.log(fb[:n][m]))[0, 1]) if m.sum() > 10 else float("nan")
            rows.append({"variant": variant, "clip": c["name"], "seconds": len(src16) / 16000,
                         "wer": wer(ref, hyp, "en"), "cos_target": cos(e_out, targets[target]),
                         "cos_source": cos(e_out, speaker_refs[c["speaker"]]), "f0_corr": corr,
                         "duration_error_s": abs(len(out) / rate - len(src16) / 16000),
                         "rtf": el / (len(src16) / 16000)})
    engine.transfer_pitch = engine.transfer_loudness = True
    summary = {}
    print("\nvoice changer (embedded re-synthesis), per variant: mean over clips")
    print(f"{'variant':12s} {'clips':>5s} {'WER':>6s} {'cos->target':>11s} {'cos->source':>11s} {'F0 corr':>8s} "
          f"{'RTF':>6s} {'dur err ms':>10s}")
    for variant in variants:
        rs = [r for r in rows if r["variant"] == variant]
        s = {k: float(np.nanmean([r[k] for r in rs])) for k in ("wer", "cos_target", "cos_source", "f0_corr", "rtf",
                                                                  "duration_error_s")}
        s["target_closer_share"] = float(np.mean([r["cos_target"] > r["cos_source"] for r in rs]))
        summary[variant] = s
        print(f"{variant:12s} {len(rs):5d} {s['wer']:6.3f} {s['cos_target']:11.3f} {s['cos_source']:11.3f} "
              f"{s['f0_corr']:8.3f} {s['rtf']:6.2f} {s['duration_error_s'] * 1000:10.1f}")
    print("per clip (full):")
    for r in rows:
        if r["variant"] == "full":
            print(f"  {r['clip']:45s} {r['seconds']:5.1f}s WER {r['wer']:.2f} cos t/s {r['cos_target']:.2f}/"
                  f"{r['cos_source']:.2f} F0 r {r['f0_corr']:.2f} RTF {r['rtf']:.2f}")
    return {"rows": rows, "summary": summary}


def bench_sfx(quick: bool) -> dict:
    from polyvox.engines.sfx import ProceduralSfx, SoundRequest

    prompts = ["a dog barking", "heavy rain on a tin roof with distant thunder", "a whoosh, then a massive impact",
               "lofi hip hop drum loop at 85 bpm in A minor", "footsteps on gravel", "cinematic braam",
               "car engine revving", "crowd ambience in a cafe", "a wooden door creaks open, then slams shut",
               "sci-fi glitch"]
    if quick:
        prompts = prompts[:4]
    eng = ProceduralSfx()
    import pyloudnorm

    rows = []
    print("\nsound effects (procedural): RTF and loudness")
    print(f"{'prompt':46s} {'2 s':>7s} {'5 s':>7s} {'10 s':>7s} {'LUFS':>6s}")
    for p in prompts:
        rtfs, lufs = [], None
        for d in (2.0, 5.0, 10.0):
            t0 = time.perf_counter()
            r = eng.generate(SoundRequest(text=p, duration=d, seed=1))
            rtfs.append((time.perf_counter() - t0) / d)
            lufs = pyloudnorm.Meter(r.sample_rate).integrated_loudness(r.audio.astype(np.float64))
        rows.append({"prompt": p, "rtf": rtfs, "lufs": lufs})
        print(f"{p[:46]:46s} {rtfs[0]:7.3f} {rtfs[1]:7.3f} {rtfs[2]:7.3f} {lufs:6.1f}")
    print(f"median RTF: {statistics.median([x for r in rows for x in r['rtf']]):.3f}")
    return {"rows": rows}


def bench_ttfb(services, quick: bool) -> dict:
    import httpx
    import uvicorn

    from polyvox.api.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services.settings, services=services), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    clip = TESTDATA / "read_speech_en" / "ljspeech" / "LJ001-0001.wav"
    data = clip.read_bytes()
    headers = {"xi-api-key": "sk_bench_admin_0123456789"}
    res: dict[str, list[float]] = {"ttfb": [], "stream_total": [], "convert_total": []}
    runs = 2 if quick else 5
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120) as http:
            http.post(f"/v1/speech-to-speech/{MALE_TARGET}", files={"audio": ("a.wav", data)})  # warm
            for _ in range(runs):
                t0 = time.perf_counter()
                with http.stream("POST", f"/v1/speech-to-speech/{MALE_TARGET}/stream",
                                 files={"audio": ("a.wav", data)}, params={"enable_logging": "false"}) as r:
                    first = None
                    for chunk in r.iter_bytes():
                        if first is None and chunk:
                            first = time.perf_counter() - t0
                res["ttfb"].append(first)
                res["stream_total"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                http.post(f"/v1/speech-to-speech/{MALE_TARGET}", files={"audio": ("a.wav", data)},
                          params={"enable_logging": "false"})
                res["convert_total"].append(time.perf_counter() - t0)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    print(f"\n/speech-to-speech on {clip.name} (9.7 s, 2 phrases), {runs} runs, medians:")
    for k, v in res.items():
        print(f"  {k:14s} {statistics.median(v) * 1000:8.0f} ms")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sections", default="vc,sfx,ttfb")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    sections = set(args.sections.split(","))
    results = {}
    with tempfile.TemporaryDirectory(prefix="polyvox-bench-") as tmp:
        services = _services(Path(tmp)) if sections & {"vc", "ttfb"} else None
        try:
            if "vc" in sections:
                results["vc"] = bench_vc(services, args.quick)
            if "sfx" in sections:
                results["sfx"] = bench_sfx(args.quick)
            if "ttfb" in sections:
                results["ttfb"] = bench_ttfb(services, args.quick)
        finally:
            if services is not None:
                services.close()
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
