"""Speech to text and voice isolation: accuracy, quality and speed figures.

    python -m bench.audio_tools_stt_isolation [--sections stt,fleurs,der,timing,isolation,ttfb,long,jobs]
                                              [--quick] [--out results.json]

Sections (each prints a table; --out writes everything as JSON):

* ``stt``       WER and RTF on read_speech_en for Whisper base and tiny.en (language given),
                plus base with language detection, and with tag_audio_events off/on.
* ``fleurs``    WER per language on the FLEURS sets (multilingual/MANIFEST.csv), base, language
                given; language-ID accuracy with detection.
* ``der``       diarization error rate (0.25 s collar) on the AMI excerpts (conversation/), with
                the speaker count unknown and given; RTF of diarization.
* ``timing``    word start/end error against the Picovoice reference word timings (es, de, fr).
* ``isolation`` read_speech_en clips + noise/ clips at 0, 5, 10 dB SNR: SI-SDR, DNSMOS (P.835)
                and Whisper base WER before/after, per engine (DFN3, GTCRN, DTLN); RTF per engine.
* ``ttfb``      time to first byte of POST /v1/audio-isolation/stream on a live server
                (subprocess on 127.0.0.1), vs. the time to the whole answer of /v1/audio-isolation.
* ``long``      a 20-minute file (looped speech + noise) through the isolation service: RTF and
                peak RSS growth (bounded memory), and STT of 10 minutes with progress.
* ``jobs``      a 5-minute file transcribed as a job on a live server (``webhook=true``): time to
                the 202, ``GET /v1/jobs/{id}`` polled every 5 s (progress, message), webhook arrival.

Data come from ../shared/testdata (POLYVOX_TESTDATA), GTCRN/DTLN ONNX files from
../shared/models. Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench._common import REPO, SHARED, Subprocess, free_port, python, wait_http

TESTDATA = Path(os.environ.get("POLYVOX_TESTDATA", SHARED / "testdata"))
MODELS = SHARED / "models"
SNRS = (0.0, 5.0, 10.0)
NOISES = ("speech_commands_bg/doing_the_dishes.wav", "speech_commands_bg/exercise_bike.wav",
          "freesound/crowd_cheering.wav", "music/Kevin_MacLeod_-_Vibe_Ace.hq.ogg")


def manifest(subset: str) -> list[dict]:
    with open(TESTDATA / subset / "MANIFEST.csv", newline="") as f:
        return [r for r in csv.DictReader(f) if r.get("transcript") and r.get("duration_s")]


def decode16(path: Path) -> np.ndarray:
    from polyvox.audio import decode_audio

    return decode_audio(path, target_rate=16000)[0]


def stt_service(workdir: Path, **settings):
    from polyvox.engines.manager import EngineManager
    from polyvox.engines.stt.diarize import SpeakerEmbedder
    from polyvox.services.limits import Limiter
    from polyvox.services.stt import SttService, SttSettings

    em = EngineManager()
    em.register("speaker-embedding", lambda: SpeakerEmbedder())
    return SttService(engines=em, pool=ThreadPoolExecutor(1), limiter=Limiter(8, 8), models_dir=workdir / "models",
                      tmp_dir=workdir, settings=SttSettings(**settings))


def iso_service(workdir: Path, engine: str, atten: float = 18.0):
    from polyvox.engines.manager import EngineManager
    from polyvox.services.isolation import IsolationService, IsolationSettings
    from polyvox.services.limits import Limiter

    return IsolationService(engines=EngineManager(), pool=ThreadPoolExecutor(1), limiter=Limiter(8, 8),
                            tmp_dir=workdir, settings=IsolationSettings(engine=engine, atten_lim_db=atten),
                            models_dirs=[MODELS])


def _table(title: str, header: list[str], rows: list[list]) -> None:
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c) for c in r) + " |")
    sys.stdout.flush()


def _wer_corpus(pairs: list[tuple[str, str]], lang: str) -> float:
    """Corpus WER: total edits / total reference words (normalised text)."""
    import jiwer

    from polyvox.eval.metrics import normalize_text_for_wer

    refs = [normalize_text_for_wer(r, lang) for r, _ in pairs]
    hyps = [normalize_text_for_wer(h, lang) for _, h in pairs]
    return float(jiwer.wer(refs, hyps))


# sections -------------------------------------------------------------------------------------
def bench_stt(work: Path, quick: bool) -> dict:
    from polyvox.services.stt import SttRequest

    rows = manifest("read_speech_en")[: 8 if quick else None]
    audio = {r["file"]: decode16(TESTDATA / "read_speech_en" / r["file"]) for r in rows}
    total = sum(len(a) for a in audio.values()) / 16000
    out, table = {}, []
    for label, model, lang, events in (("base, en given", "base", "en", True), ("tiny.en", "tiny.en", "en", True),
                                       ("base, detect", "base", None, True),
                                       ("base, en, tag_audio_events=false", "base", "en", False)):
        svc = stt_service(work, model=model)
        svc.transcribe_array(audio[rows[0]["file"]], svc.plan(SttRequest(language_code="en")))  # warm up
        pairs, t0 = [], time.perf_counter()
        for r in rows:
            res = svc.transcribe_array(audio[r["file"]], svc.plan(SttRequest(language_code=lang,
                                                                              tag_audio_events=events)))
            pairs.append((r["transcript"], res.text))
        rtf = (time.perf_counter() - t0) / total
        out[label] = {"wer": _wer_corpus(pairs, "en"), "rtf": rtf, "clips": len(rows), "seconds": total}
        table.append([label, len(rows), round(total, 1), out[label]["wer"], rtf])
    _table("STT: read_speech_en", ["model", "clips", "audio s", "WER", "RTF"], table)
    return out


def bench_fleurs(work: Path, quick: bool) -> dict:
    from polyvox.services.stt import SttRequest

    rows = [r for r in manifest("multilingual") if r["file"].startswith("fleurs/")]
    svc = stt_service(work, model="base")
    out, table = {}, []
    for lang in sorted({r["language"] for r in rows}):
        subset = [r for r in rows if r["language"] == lang][: 2 if quick else None]
        pairs, detected, secs, t0 = [], 0, 0.0, time.perf_counter()
        for r in subset:
            a = decode16(TESTDATA / "multilingual" / r["file"])
            secs += len(a) / 16000
            res = svc.transcribe_array(a, svc.plan(SttRequest(language_code=lang)))
            pairs.append((r["transcript"], res.text))
            if not quick:
                detected += svc.transcribe_array(a[: 16000 * 10], svc.plan(SttRequest())).language == lang
        out[lang] = {"wer": _wer_corpus(pairs, lang), "clips": len(subset), "seconds": secs,
                     "lid_accuracy": detected / len(subset) if not quick else None,
                     "rtf": (time.perf_counter() - t0) / secs}
        table.append([lang, len(subset), round(secs, 1), out[lang]["wer"], out[lang]["lid_accuracy"]])
    _table("STT: FLEURS (Whisper base, language given)", ["lang", "clips", "audio s", "WER", "LID acc."], table)
    return out


def bench_der(work: Path, quick: bool) -> dict:
    from polyvox.engines.stt.diarize import DiarizationOptions, Diarizer, SpeakerEmbedder, speech_regions
    from polyvox.eval.diarization import der, read_rttm
    from polyvox.services.stt import SttRequest

    base = TESTDATA / "conversation"
    sets = [("ami_ES2004a_60s/mixture.wav", "ami_ES2004a_60s/mixture.rttm"),
            ("ami_debug_excerpts/dev00.wav", "ami_debug_excerpts/dev00.rttm")]
    sets += [(f"ami_debug_excerpts/{n}.wav", f"ami_debug_excerpts/{n}.rttm") for n in ("tst00", "trn07")
             if (base / f"ami_debug_excerpts/{n}.wav").is_file()]
    diarizer = Diarizer(SpeakerEmbedder())
    svc = stt_service(work, model="base")
    out, table = {}, []
    for wav, rttm in sets:
        a = decode16(base / wav)
        ref = read_rttm(base / rttm)
        k = len({s for _, _, s in ref})
        secs = len(a) / 16000
        for label, kmax in (("unknown", None), ("given", k)):
            t0 = time.perf_counter()
            turns = diarizer.diarize(a, speech_regions(a), DiarizationOptions(window=2.0, hop=0.5, threshold=0.35,
                                                                                max_speakers=kmax))
            rtf = (time.perf_counter() - t0) / secs
            hyp = [(t.start, t.end, f"s{t.speaker}") for t in turns]
            r = der(ref, hyp, uem=(0.0, secs))
            # the same through the whole STT pipeline: speakers of Whisper's words
            res = svc.transcribe_array(a, svc.plan(SttRequest(language_code="en", diarize=True, num_speakers=kmax)))
            words = [(w.start, w.end, w.speaker_id) for w in res.words if w.type == "word"]
            rw = der(ref, words, uem=(0.0, secs))
            key = f"{wav}:{label}"
            out[key] = {"der": r.der, "missed": r.missed / r.scored_speech, "false_alarm": r.false_alarm / r.scored_speech,
                        "confusion": r.confusion / r.scored_speech, "speakers_ref": k,
                        "speakers_hyp": len({h[2] for h in hyp}), "rtf": rtf, "der_words": rw.der}
            table.append([wav, label, k, out[key]["speakers_hyp"], r.der, out[key]["missed"], out[key]["false_alarm"],
                          out[key]["confusion"], rw.der, rtf])
    _table("Diarization (collar 0.25 s)", ["file", "speakers", "ref", "found", "DER", "miss", "FA", "conf",
                                          "DER (word-level)", "RTF"], table)
    return out


def bench_timing(work: Path, quick: bool) -> dict:
    from polyvox.eval.metrics import normalize_text_for_wer
    from polyvox.services.stt import SttRequest

    data = json.loads((TESTDATA / "multilingual/picovoice/test_data.json").read_text())
    svc = stt_service(work, model="base")
    out, table = {}, []
    for case in data["tests"]["language_tests"]:
        path = TESTDATA / "multilingual/picovoice" / case["audio_file"]
        if not path.is_file():
            continue
        lang = case["language"]
        res = svc.transcribe_array(decode16(path), svc.plan(SttRequest(language_code=lang)))
        hyp = [(normalize_text_for_wer(w.text, lang), w.start, w.end) for w in res.words if w.type == "word"]
        ds, de, j = [], [], 0
        for w in case["words"]:
            word = normalize_text_for_wer(w["word"], lang)
            for k in range(j, len(hyp)):
                if hyp[k][0] == word:
                    ds.append(abs(hyp[k][1] - w["start_sec"]))
                    de.append(abs(hyp[k][2] - w["end_sec"]))
                    j = k + 1
                    break
        out[lang] = {"matched": len(ds), "words": len(case["words"]), "start_mae": float(np.mean(ds)),
                     "start_median": float(np.median(ds)), "end_mae": float(np.mean(de)),
                     "within_100ms": float(np.mean(np.array(ds) <= 0.1))}
        table.append([lang, f"{len(ds)}/{len(case['words'])}", out[lang]["start_mae"], out[lang]["start_median"],
                      out[lang]["end_mae"], out[lang]["within_100ms"]])
    _table("Word timestamps vs Picovoice reference timings", ["lang", "matched", "start MAE s", "start median s",
                                                               "end MAE s", "starts within 100 ms"], table)
    return out


def _mix(clean: np.ndarray, noise: np.ndarray, snr: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    off = int(rng.integers(0, max(1, len(noise) - len(clean))))
    n = np.resize(noise[off:], clean.shape[0])
    gain = np.sqrt(np.mean(clean**2) / max(np.mean(n**2), 1e-12) / 10 ** (snr / 10))
    mix = clean + gain * n
    return (mix / max(1.0, float(np.max(np.abs(mix))) / 0.95)).astype(np.float32)


def bench_isolation(work: Path, quick: bool) -> dict:
    from polyvox.engines.stt.whisper import WhisperTranscriber
    from polyvox.eval.dnsmos import DnsMos
    from polyvox.eval.metrics import si_sdr, wer

    rows = [r for r in manifest("read_speech_en") if 4.0 < float(r["duration_s"]) < 12.0]
    rows = rows[:: max(1, len(rows) // (3 if quick else 6))][: 3 if quick else 6]
    noises = {n: decode16(TESTDATA / "noise" / n) for n in (NOISES[:2] if quick else NOISES)}
    asr = WhisperTranscriber(work / "models", model="base")
    mos = DnsMos(MODELS / "dnsmos")
    engines = {"dfn3": iso_service(work, "dfn3")}
    for name in ("gtcrn", "dtln"):
        if (MODELS / name).is_dir():
            engines[name] = iso_service(work, name)
    results: dict = {}
    proc_time = dict.fromkeys(engines, 0.0)
    audio_secs = 0.0
    for i, r in enumerate(rows):
        clean = decode16(TESTDATA / "read_speech_en" / r["file"])
        for noise_name, noise in noises.items():
            for snr in SNRS:
                mix = _mix(clean, noise, snr, seed=i)
                audio_secs += len(mix) / 16000
                variants = {"noisy": mix}
                for name, svc in engines.items():
                    t0 = time.perf_counter()
                    variants[name] = svc.isolate_array(mix, 16000)
                    proc_time[name] += time.perf_counter() - t0
                for name, y in variants.items():
                    m = mos.score(y, 16000)
                    hyp = asr.transcribe(y, language="en").text
                    results.setdefault((name, snr), []).append(
                        {"si_sdr": si_sdr(y, clean), "ovrl": m["ovrl"], "sig": m["sig"], "bak": m["bak"],
                         "wer": wer(r["transcript"], hyp), "noise": noise_name})
    clean_mos = statistics.mean(mos.score(decode16(TESTDATA / "read_speech_en" / r["file"]), 16000)["ovrl"]
                                for r in rows)
    out: dict = {"clips": len(rows), "noises": list(noises), "mixtures_per_snr": len(rows) * len(noises),
                 "clean_dnsmos_ovrl": clean_mos, "rtf": {n: proc_time[n] / audio_secs for n in engines}}
    table = []
    for snr in SNRS:
        for name in ["noisy", *engines]:
            rs = results[(name, snr)]
            agg = {k: statistics.mean(x[k] for x in rs) for k in ("si_sdr", "ovrl", "sig", "bak", "wer")}
            out[f"{name}@{snr:g}dB"] = agg
            table.append([f"{snr:g} dB", name, agg["si_sdr"], agg["ovrl"], agg["sig"], agg["bak"], agg["wer"]])
    per_noise = []
    for noise_name in noises:
        for name in ["noisy", *engines]:
            rs = [x for snr in SNRS for x in results[(name, snr)] if x["noise"] == noise_name]
            per_noise.append([noise_name.split("/")[-1], name, statistics.mean(x["si_sdr"] for x in rs),
                              statistics.mean(x["ovrl"] for x in rs), statistics.mean(x["wer"] for x in rs)])
            out.setdefault("per_noise", {})[f"{noise_name}:{name}"] = per_noise[-1][2:]
    _table(f"Isolation: {len(rows)} clips x {len(noises)} noises per SNR (clean DNSMOS OVRL {clean_mos:.2f})",
           ["SNR", "engine", "SI-SDR dB", "DNSMOS OVRL", "SIG", "BAK", "WER (base)"], table)
    _table("Isolation per noise (all SNRs)", ["noise", "engine", "SI-SDR dB", "DNSMOS OVRL", "WER"], per_noise)
    _table("Isolation RTF (16 kHz in, 16 kHz out; DFN3 resamples to 48 kHz)", ["engine", "RTF"],
           [[n, v] for n, v in out["rtf"].items()])
    return out


def _wav(pcm: np.ndarray, rate: int) -> bytes:
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def bench_ttfb(work: Path, quick: bool) -> dict:
    import httpx

    port, key = free_port(), "sk_bench_isolation_0123456789"
    env = dict(os.environ, POLYVOX_DATA_DIR=str(work / "server"), POLYVOX_ADMIN_KEY=key, PYTHONPATH=str(REPO))
    server = Subprocess("polyvox", [python(), "-m", "polyvox.cli", "serve", "--host", "127.0.0.1", "--port",
                                    str(port), "--log-level", "warning"], env=env, log=work / "server.log")
    out: dict = {}
    try:
        wait_http(f"http://127.0.0.1:{port}/health", server, 120)
        clean = decode16(TESTDATA / "read_speech_en/ljspeech/LJ001-0001.wav")
        noise = decode16(TESTDATA / "noise" / NOISES[0])
        table = []
        for secs in (10, 60) if quick else (10, 60, 300):
            body = _wav(_mix(np.tile(clean, int(np.ceil(secs * 16000 / len(clean))))[: secs * 16000], noise, 5.0, 0),
                        16000)
            ttfb, total = [], []
            for _ in range(2 if quick else 3):
                t0 = time.perf_counter()
                with httpx.stream("POST", f"http://127.0.0.1:{port}/v1/audio-isolation/stream", timeout=600,
                                  headers={"xi-api-key": key}, files={"audio": ("a.wav", body, "audio/wav")}) as r:
                    first = None
                    for chunk in r.iter_bytes():
                        if first is None and chunk:
                            first = time.perf_counter() - t0
                ttfb.append(first)
                total.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            r = httpx.post(f"http://127.0.0.1:{port}/v1/audio-isolation", timeout=600, headers={"xi-api-key": key},
                           files={"audio": ("a.wav", body, "audio/wav")})
            whole = time.perf_counter() - t0
            out[f"{secs}s"] = {"ttfb_median": statistics.median(ttfb), "stream_total": statistics.median(total),
                               "non_stream_total": whole, "upload_mb": len(body) / 1e6}
            table.append([f"{secs} s", round(len(body) / 1e6, 1), statistics.median(ttfb),
                          statistics.median(total), whole])
        _table("/v1/audio-isolation/stream time to first byte (DFN3, wav upload over loopback)",
               ["input", "upload MB", "TTFB s", "stream done s", "non-stream done s"], table)
    finally:
        server.stop()
    return out


def bench_jobs(work: Path, quick: bool) -> dict:
    """A long transcription as a job over HTTP: 202 at once, progress polled, signed webhook at the end."""
    import http.server
    import threading

    import httpx

    got: list[float] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["content-length"]))
            got.append(time.perf_counter())
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a):
            pass

    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    port, key = free_port(), "sk_bench_jobs_0123456789"
    hooks = json.dumps([{"webhook_id": "bench", "url": f"http://127.0.0.1:{hook.server_address[1]}/", "secret": "x"}])
    env = dict(os.environ, POLYVOX_DATA_DIR=str(work / "jobs-server"), POLYVOX_ADMIN_KEY=key, PYTHONPATH=str(REPO),
               POLYVOX_STT__WEBHOOKS=hooks)
    server = Subprocess("polyvox", [python(), "-m", "polyvox.cli", "serve", "--host", "127.0.0.1", "--port",
                                    str(port), "--log-level", "warning"], env=env, log=work / "jobs-server.log")
    minutes = 2 if quick else 5
    out: dict = {"minutes": minutes}
    try:
        wait_http(f"http://127.0.0.1:{port}/health", server, 120)
        clean = decode16(TESTDATA / "read_speech_en/ljspeech/LJ001-0001.wav")
        noise = decode16(TESTDATA / "noise" / NOISES[0])
        body = _wav(_mix(np.tile(clean, int(np.ceil(minutes * 60 * 16000 / len(clean))))[: minutes * 60 * 16000],
                         noise, 5.0, 0), 16000)
        base, head = f"http://127.0.0.1:{port}", {"xi-api-key": key}
        t0 = time.perf_counter()
        r = httpx.post(f"{base}/v1/speech-to-text", headers=head, timeout=600,
                       files={"file": ("long.wav", body, "audio/wav")},
                       data={"model_id": "scribe_v1", "language_code": "en", "webhook": "true"})
        accepted = time.perf_counter() - t0
        tid = r.json()["transcription_id"]
        trace = []
        while True:
            st = httpx.get(f"{base}/v1/jobs/{tid}", headers=head, timeout=30).json()
            trace.append([round(time.perf_counter() - t0, 1), st["status"], st["progress"], st["message"]])
            if st["status"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(5)
        done = time.perf_counter() - t0
        deadline = time.perf_counter() + 60
        while not got and time.perf_counter() < deadline:
            time.sleep(0.1)
        words = httpx.get(f"{base}/v1/speech-to-text/transcripts/{tid}", headers=head, timeout=60).json()["words"]
        out.update(accepted_s=accepted, done_s=done, rtf=done / (minutes * 60), polls=len(trace),
                   webhook_after_done_s=(got[0] - t0 - done) if got else None,
                   words=sum(w["type"] == "word" for w in words))
        _table(f"Transcription job ({minutes} min wav, {len(body) / 1e6:.0f} MB): GET /v1/jobs/{{id}} every 5 s",
               ["t s", "status", "progress", "message"], trace)
        _table("Transcription job summary", ["what", "value"], [[k, v] for k, v in out.items()])
    finally:
        server.stop()
        hook.shutdown()
    return out


def bench_long(work: Path, quick: bool) -> dict:
    """Runs in a child process so that peak RSS belongs to this section alone."""
    import subprocess

    minutes = 5 if quick else 20
    res = subprocess.run([python(), "-c", _LONG_CHILD, str(work), str(minutes)], capture_output=True, text=True,
                         cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=3600)
    if res.returncode:
        raise RuntimeError(res.stderr[-3000:])
    out = json.loads(res.stdout.strip().splitlines()[-1])
    _table(f"Long input ({minutes} min wav, {out['file_mb']:.0f} MB)", ["what", "value"],
           [[k, v] for k, v in out.items()])
    return out


_LONG_CHILD = r"""
import json, resource, sys, time, wave
from pathlib import Path
import numpy as np
sys.path.insert(0, '.')
from bench.audio_tools_stt_isolation import TESTDATA, NOISES, _mix, decode16, iso_service, stt_service
from polyvox.services.stt import SttRequest
work, minutes = Path(sys.argv[1]), int(sys.argv[2])
clean = decode16(TESTDATA / "read_speech_en/ljspeech/LJ001-0001.wav")
noise = decode16(TESTDATA / "noise" / NOISES[0])
src = work / "long.wav"
with wave.open(str(src), "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
    block = _mix(np.tile(clean, 7)[:16000 * 60], noise, 5.0, 0)
    for _ in range(minutes):
        w.writeframes((block * 32767).astype("<i2").tobytes())
def rss():  # current resident set, MB
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
iso = iso_service(work, "dfn3")
iso.isolate_array(block[:16000], 16000)
del block
base = rss()
peak = [base]
t0 = time.perf_counter()
seconds = iso.render(iso.open(src), work / "long.mp3", "mp3_44100_128", progress=lambda f: peak.append(rss()))
iso_time = time.perf_counter() - t0
iso_peak = max(peak) - base
if "--no-stt" in sys.argv:
    print(json.dumps({"file_mb": src.stat().st_size / 1e6, "isolated_seconds": seconds, "rss_before_mb": base,
                      "isolation_rtf": iso_time / seconds, "isolation_rss_growth_mb": iso_peak,
                      "pcm_of_whole_file_mb": minutes * 60 * 48000 * 4 / 1e6}))
    sys.exit(0)
stt = stt_service(work, model="base")
ten = decode16(src)[: 16000 * 600]
marks = []
t0 = time.perf_counter()
res = stt.transcribe_array(ten, stt.plan(SttRequest(language_code="en")), progress=marks.append)
stt_time = time.perf_counter() - t0
print(json.dumps({"file_mb": src.stat().st_size / 1e6, "isolated_seconds": seconds, "rss_before_mb": base,
                  "isolation_rtf": iso_time / seconds, "isolation_rss_growth_mb": iso_peak,
                  "pcm_of_whole_file_mb": minutes * 60 * 48000 * 4 / 1e6,
                  "stt_10min_rtf": stt_time / 600, "stt_progress_reports": len(marks)}))
"""

SECTIONS = {"stt": bench_stt, "fleurs": bench_fleurs, "der": bench_der, "timing": bench_timing,
            "isolation": bench_isolation, "ttfb": bench_ttfb, "long": bench_long, "jobs": bench_jobs}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sections", default=",".join(SECTIONS))
    p.add_argument("--quick", action="store_true", help="fewer clips, shorter files")
    p.add_argument("--out", default=None, help="write all figures as JSON here")
    p.add_argument("--workdir", default=None)
    args = p.parse_args(argv)
    if not TESTDATA.is_dir():
        print(f"test data not found at {TESTDATA} (set POLYVOX_TESTDATA)", file=sys.stderr)
        return 2
    work = Path(args.workdir or tempfile.mkdtemp(prefix="polyvox-bench-audio-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# polyvox speech-to-text and voice isolation bench ({os.cpu_count()} cores, workdir {work})")
    results = {}
    for name in args.sections.split(","):
        t0 = time.perf_counter()
        results[name] = SECTIONS[name](work, args.quick)
        print(f"\n({name}: {time.perf_counter() - t0:.0f} s)", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
