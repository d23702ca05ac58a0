"""Overlapping-speech detection: calibration on synthetic conversations, evaluation on AMI.

    python -m bench.diarization_overlap [--calibrate] [--conversations 12]

* ``--calibrate``: builds two- and three-speaker conversations from LibriSpeech test-other
  (speaker_sets/, 10 speakers; utterances follow each other with random gaps, a third of them
  overlapping the previous one by 0.3-1.5 s at +-3 dB), runs the same diarization as
  ``/v1/speech-to-text`` (given the speaker count) and reports frame precision/recall of
  overlap at several gain thresholds; the one that maximises correctly minus wrongly detected
  seconds (what adding them as second-speaker turns does to DER) is then used on AMI, and is
  the default ``OverlapOptions.min_gain``.
* evaluation (always): the AMI excerpts in conversation/ with their RTTMs (reference overlap =
  where two turns intersect): overlap precision/recall, and DER (0.25 s collar) of the speaker
  turns without and with the detected overlaps added as second-speaker turns.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench._common import SHARED

TESTDATA = SHARED / "testdata"
SR = 16_000
AMI = [("ami_ES2004a_60s/mixture.wav", "ami_ES2004a_60s/mixture.rttm", 60.0),
       ("ami_debug_excerpts/dev00.wav", "ami_debug_excerpts/dev00.rttm", 30.0)]


def _decode(path) -> np.ndarray:
    from polyvox.audio import decode_audio

    return decode_audio(path, target_rate=SR)[0].astype(np.float32)


def synthetic_conversation(rng: np.random.Generator, speakers: int = 2, turns: int = 8):
    """(audio, reference segments): LibriSpeech utterances in turns, some overlapping."""
    from polyvox.engines.stt.diarize import speech_regions

    root = TESTDATA / "speaker_sets/librispeech_test_other"
    who = rng.choice(sorted(p.name for p in root.iterdir() if p.is_dir()), speakers, replace=False)
    files = {s: sorted((root / s).glob("*.*")) for s in who}
    pieces, ref, t = [], [], 0.0
    last = None
    for k in range(turns):
        s = who[k % speakers] if speakers == 2 else rng.choice([x for x in who if x != last])
        last = s
        x = _decode(files[s][int(rng.integers(len(files[s])))])
        regs = speech_regions(x)
        if not regs:
            continue
        x = x[int(regs[0][0] * SR):int(regs[-1][1] * SR)][: 6 * SR]  # speech only, at most 6 s
        x *= 10 ** (rng.uniform(-3, 3) / 20) / (np.sqrt(np.mean(x**2)) + 1e-9) * 0.05
        if k and rng.random() < 0.35:
            start = max(0.0, t - rng.uniform(0.3, 1.5))  # talks over the end of the last turn
        else:
            start = t + rng.uniform(0.2, 0.8)
        pieces.append((start, x))
        ref.append((start, start + x.shape[0] / SR, str(s)))
        t = max(t, start + x.shape[0] / SR)
    audio = np.zeros(int((t + 0.5) * SR), np.float32)
    for start, x in pieces:
        i = int(start * SR)
        audio[i:i + x.shape[0]] += x
    return audio, ref


def diarize(embedder, audio: np.ndarray, num_speakers: int | None = None):
    """The service's diarization (same options as ``SttService._diarize``) and the overlap evidence."""
    from polyvox.engines.stt.diarize import DiarizationOptions, Diarizer, speech_regions
    from polyvox.engines.stt.overlap import overlap_evidence

    turns = Diarizer(embedder).diarize(audio, speech_regions(audio), DiarizationOptions(
        window=2.0, hop=0.5, threshold=0.35, max_speakers=num_speakers))
    return turns, overlap_evidence(embedder, audio, turns)


def calibrate(embedder, n: int) -> float:
    from polyvox.engines.stt.overlap import OverlapOptions, overlaps_from
    from polyvox.eval.diarization import overlap_score

    rng = np.random.default_rng(7)
    runs = []
    for i in range(n):
        audio, ref = synthetic_conversation(rng, speakers=2 if i % 3 else 3)
        # num_speakers given: LibriSpeech chapters differ in recording, and the clustering
        # threshold (tuned for meetings) splits them; the overlap step is what is calibrated here
        turns, ev = diarize(embedder, audio, len({s for *_, s in ref}))
        runs.append((audio.shape[0] / SR, ref, ev, len({t.speaker for t in turns})))
    print(f"calibration (num_speakers given): {n} synthetic conversations, {sum(r[0] for r in runs):.0f} s, found speakers "
          f"{[r[3] for r in runs]} (true {[len({s for *_, s in r[1]}) for r in runs]})")
    # adding a detected stretch as a second speaker's turn removes missed speech where it is right and
    # adds false alarm where it is wrong, so the threshold maximises (right - wrong) seconds
    print("| min_gain | precision | recall | F1 | detected s / reference s | right - wrong s |")
    print("|---|---|---|---|---|---|")
    best = (-1e9, 0.0)
    for g in (0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06, 0.08):
        hit = det = refs = 0.0
        for total, ref, ev, _ in runs:
            sc = overlap_score(ref, [(o.start, o.end) for o in overlaps_from(ev, OverlapOptions(min_gain=g))], total)
            hit += sc.precision * sc.detected_seconds
            det += sc.detected_seconds
            refs += sc.reference_seconds
        p, r = (hit / det if det else 0.0), (hit / refs if refs else 0.0)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"| {g:.3f} | {p:.2f} | {r:.2f} | {f1:.2f} | {det:.1f} / {refs:.1f} | {2 * hit - det:+.1f} |")
        best = max(best, (2 * hit - det, g))
    print(f"chosen min_gain {best[1]:.3f} (right - wrong {best[0]:+.1f} s)")
    return best[1]


def evaluate(embedder, min_gain: float | None) -> None:
    from polyvox.engines.stt.overlap import OverlapOptions, overlaps_from, with_overlaps
    from polyvox.eval.diarization import der, overlap_score, read_rttm

    opt = OverlapOptions() if min_gain is None else OverlapOptions(min_gain=min_gain)
    print(f"\nAMI (min_gain {opt.min_gain:.3f}; DER collar 0.25 s)")
    print("| excerpt | ref overlap s | detected s | precision | recall | DER without | DER with | "
          "missed without / with | FA without / with | confusion without / with | RTF of overlap step |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for wav, rttm, secs in AMI:
        audio = _decode(TESTDATA / "conversation" / wav)
        ref = read_rttm(TESTDATA / "conversation" / rttm)
        turns, _ = diarize(embedder, audio)
        t0 = time.perf_counter()
        from polyvox.engines.stt.overlap import overlap_evidence

        ev = overlap_evidence(embedder, audio, turns)
        overlaps = overlaps_from(ev, opt)
        rtf = (time.perf_counter() - t0) / secs
        sc = overlap_score(ref, [(o.start, o.end) for o in overlaps], secs)
        base = [(t.start, t.end, f"s{t.speaker}") for t in turns]
        more = [(t.start, t.end, f"s{t.speaker}") for t in with_overlaps(turns, overlaps)]
        a, b = der(ref, base, uem=(0.0, secs)), der(ref, more, uem=(0.0, secs))
        print(f"| {wav.split('/')[0]} | {sc.reference_seconds:.2f} | {sc.detected_seconds:.2f} | {sc.precision:.2f} | "
              f"{sc.recall:.2f} | {a.der:.1%} | {b.der:.1%} | {a.missed / a.scored_speech:.1%} / "
              f"{b.missed / b.scored_speech:.1%} | {a.false_alarm / a.scored_speech:.1%} / "
              f"{b.false_alarm / b.scored_speech:.1%} | {a.confusion / a.scored_speech:.1%} / "
              f"{b.confusion / b.scored_speech:.1%} | {rtf:.3f} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--conversations", type=int, default=12)
    args = ap.parse_args(argv)
    from polyvox.engines.stt.diarize import SpeakerEmbedder

    embedder = SpeakerEmbedder(threads=1)
    gain = calibrate(embedder, args.conversations) if args.calibrate else None
    evaluate(embedder, gain)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
