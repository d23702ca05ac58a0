"""Overlapping speech: windows that a mix of two speakers' voices explains better than any one voice.

A d-vector of two people talking at once lies between their two voices (the LSTM averages
over frames of both). So after diarization has found the speakers:

1. each speaker's centroid is the length-weighted mean d-vector of their turns;
2. short windows (``window`` s, ``hop`` s apart) centred inside the speech are embedded;
3. a window's one-speaker fit is its best cosine to a centroid, its two-speaker fit the best
   cosine to a normalised mix ``a*c_i + (1-a)*c_j`` (a = 0.3 .. 0.7, every pair);
4. the *gain* (two-speaker fit minus one-speaker fit), smoothed over three windows, marks
   overlap where it reaches ``min_gain``; runs of such windows become overlap stretches,
   labelled with the pair that explained them best.

``min_gain`` was calibrated on synthetic two-speaker conversations made from LibriSpeech
(``bench/diarization_overlap.py --calibrate``), not on the AMI meetings it is evaluated on.
It is a coarse detector: a 1.2 s window cannot resolve the 0.1-0.5 s back-channels that make
up most meeting overlap; figures are in docs/speech-to-text.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from polyvox.engines.stt.diarize import SAMPLE_RATE, SpeakerEmbedder, Turn, _l2


@dataclass(frozen=True)
class OverlapOptions:
    window: float = 1.2
    hop: float = 0.25
    min_gain: float = 0.04
    """Two-speaker fit minus one-speaker fit (cosine) at which a window counts as overlapped."""
    min_duration: float = 0.3
    mix_weights: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7)


@dataclass(frozen=True)
class Overlap:
    start: float
    end: float
    speakers: tuple[int, int]


def speaker_centroids(embedder: SpeakerEmbedder, audio: np.ndarray, turns: list[Turn]) -> dict[int, np.ndarray]:
    """Unit-length mean d-vector per speaker, each turn weighted by its length."""
    usable = [t for t in turns if t.end - t.start >= 0.5]
    if not usable:
        return {}
    emb = embedder.embed_many([audio[int(t.start * SAMPLE_RATE):int(t.end * SAMPLE_RATE)] for t in usable])
    sums: dict[int, np.ndarray] = {}
    for t, e in zip(usable, emb):
        sums[t.speaker] = sums.get(t.speaker, 0.0) + (t.end - t.start) * e
    return {k: _l2(v) for k, v in sums.items()}


def overlap_gain(emb: np.ndarray, centroids: np.ndarray, weights=(0.3, 0.4, 0.5, 0.6, 0.7)):
    """(gain, best pair index i, j) per row of ``emb`` against ``centroids`` (k >= 2)."""
    one = (emb @ centroids.T).max(axis=1)
    best = np.full(emb.shape[0], -2.0)
    pair = np.zeros((emb.shape[0], 2), dtype=int)
    k = centroids.shape[0]
    for i in range(k):
        for j in range(i + 1, k):
            for a in weights:
                s = emb @ _l2(a * centroids[i] + (1 - a) * centroids[j])
                better = s > best
                best[better] = s[better]
                pair[better] = (i, j)
    return best - one, pair


@dataclass
class OverlapEvidence:
    """Per-window scores, kept apart from the threshold so that a calibration can sweep it."""

    centres: np.ndarray
    gain: np.ndarray
    """Smoothed two-speaker gain per window."""
    pairs: list[tuple[int, int]]
    """Best-explaining speaker pair per window."""


def overlap_evidence(embedder: SpeakerEmbedder, audio: np.ndarray, turns: list[Turn],
                     options: OverlapOptions | None = None) -> OverlapEvidence | None:
    """None when fewer than two speakers were found (no overlap possible)."""
    opt = options or OverlapOptions()
    cents = speaker_centroids(embedder, audio, turns)
    if len(cents) < 2:
        return None
    ids = sorted(cents)
    total = audio.shape[0] / SAMPLE_RATE
    centres = np.unique(np.round([c for t in turns for c in np.arange(t.start + opt.hop / 2, t.end, opt.hop)], 3))
    if centres.size == 0:
        return None
    clips = [audio[int(max(0.0, c - opt.window / 2) * SAMPLE_RATE):int(min(total, c + opt.window / 2) * SAMPLE_RATE)]
             for c in centres]
    gain, pair = overlap_gain(embedder.embed_many(clips), np.stack([cents[i] for i in ids]), opt.mix_weights)
    smooth = np.convolve(np.pad(gain, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    return OverlapEvidence(centres, smooth, [(ids[a], ids[b]) for a, b in pair])


def overlaps_from(ev: OverlapEvidence | None, options: OverlapOptions | None = None) -> list[Overlap]:
    """Runs of windows whose gain reaches ``min_gain``, as overlap stretches."""
    opt = options or OverlapOptions()
    if ev is None:
        return []
    hit = ev.gain >= opt.min_gain
    out: list[Overlap] = []
    i, n = 0, len(ev.centres)
    while i < n:
        if not hit[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and hit[j + 1] and ev.centres[j + 1] - ev.centres[j] <= opt.hop * 1.5:
            j += 1
        start, end = ev.centres[i] - opt.hop / 2, ev.centres[j] + opt.hop / 2
        if end - start >= opt.min_duration:
            pair, _ = Counter(ev.pairs[i:j + 1]).most_common(1)[0]
            out.append(Overlap(round(float(start), 3), round(float(end), 3), pair))
        i = j + 1
    return out


def detect_overlaps(embedder: SpeakerEmbedder, audio: np.ndarray, turns: list[Turn],
                    options: OverlapOptions | None = None) -> list[Overlap]:
    return overlaps_from(overlap_evidence(embedder, audio, turns, options), options)


def with_overlaps(turns: list[Turn], overlaps: list[Overlap]) -> list[Turn]:
    """The turns plus, inside each overlap, turns for the parts where either of its speakers was not talking."""
    extra = []
    for o in overlaps:
        for spk in o.speakers:
            t = o.start
            for tr in sorted((x for x in turns if x.speaker == spk and x.end > o.start and x.start < o.end),
                             key=lambda x: x.start):
                if tr.start > t:
                    extra.append(Turn(t, tr.start, spk))
                t = max(t, tr.end)
            if t < o.end:
                extra.append(Turn(t, o.end, spk))
    return sorted(turns + extra, key=lambda t: (t.start, t.speaker))


__all__ = ["Overlap", "OverlapEvidence", "OverlapOptions", "detect_overlaps", "overlap_evidence", "overlap_gain", "overlaps_from", "speaker_centroids", "with_overlaps"]
