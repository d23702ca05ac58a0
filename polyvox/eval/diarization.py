"""Diarization error rate (DER) with a forgiveness collar, and RTTM reading.

Frame-based (10 ms) version of NIST md-eval's scoring: around every reference turn boundary
``collar`` seconds on each side are not scored; reference speakers are mapped one-to-one to
hypothesis speakers so as to maximise the overlapping time (Hungarian assignment); then

    DER = (missed speech + false alarm + speaker confusion) / scored reference speech

where, per frame, missed = max(0, n_ref - n_hyp), false alarm = max(0, n_hyp - n_ref) and
confusion = min(n_ref, n_hyp) - (mapped speakers that agree). Overlapping reference speech
counts once per speaker, as in md-eval.

Overlap detection is scored separately (:func:`overlap_score`): frame-level precision and
recall of the detected overlapping stretches against the reference's, where the reference
overlap is wherever two RTTM turns intersect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

Segment = tuple[float, float, str]
"""(start s, end s, speaker label)"""


def read_rttm(path: str | Path) -> list[Segment]:
    out = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start, dur = float(parts[3]), float(parts[4])
            out.append((start, start + dur, parts[7]))
    return out


@dataclass(frozen=True)
class DerResult:
    der: float
    missed: float
    false_alarm: float
    confusion: float
    scored_speech: float
    """Seconds of reference speech scored (after the collar)."""
    mapping: dict[str, str]


def _matrix(segs: list[Segment], labels: list[str], n: int, step: float) -> np.ndarray:
    m = np.zeros((len(labels), n), dtype=bool)
    idx = {s: i for i, s in enumerate(labels)}
    for a, b, s in segs:
        m[idx[s], int(round(a / step)):int(round(b / step))] = True
    return m


def der(reference: list[Segment], hypothesis: list[Segment], collar: float = 0.25,
        uem: tuple[float, float] | None = None, step: float = 0.01) -> DerResult:
    from scipy.optimize import linear_sum_assignment

    end = max([b for _, b, _ in reference] + [b for _, b, _ in hypothesis] + [uem[1] if uem else 0.0])
    n = int(np.ceil(end / step)) + 1
    rl = sorted({s for _, _, s in reference})
    hl = sorted({s for _, _, s in hypothesis})
    ref = _matrix(reference, rl, n, step)
    hyp = _matrix(hypothesis, hl, n, step)
    scored = np.ones(n, dtype=bool)
    if uem:
        scored[:int(round(uem[0] / step))] = False
        scored[int(round(uem[1] / step)):] = False
    c = int(round(collar / step))
    for a, b, _ in reference:
        for t in (a, b):
            i = int(round(t / step))
            scored[max(0, i - c):i + c] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    overlap = (ref[:, None, :] & hyp[None, :, :]).sum(axis=2) if rl and hl else np.zeros((len(rl), len(hl)))
    mapping: dict[str, str] = {}
    correct = np.zeros(ref.shape[1], dtype=int)
    if rl and hl:
        ri, hi = linear_sum_assignment(-overlap)
        for r, h in zip(ri, hi):
            mapping[rl[r]] = hl[h]
            correct += (ref[r] & hyp[h]).astype(int)
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    missed = np.maximum(0, n_ref - n_hyp).sum() * step
    fa = np.maximum(0, n_hyp - n_ref).sum() * step
    conf = (np.minimum(n_ref, n_hyp) - correct).sum() * step
    total = n_ref.sum() * step
    return DerResult(der=float((missed + fa + conf) / total) if total else 0.0, missed=float(missed),
                     false_alarm=float(fa), confusion=float(conf), scored_speech=float(total), mapping=mapping)


def overlap_regions(segments: list[Segment], step: float = 0.01) -> list[tuple[float, float]]:
    """Where two or more speakers' turns intersect (RTTM overlap), as (start, end) stretches."""
    if not segments:
        return []
    n = int(np.ceil(max(b for _, b, _ in segments) / step)) + 1
    count = np.zeros(n, dtype=int)
    for a, b, _ in segments:
        count[int(round(a / step)):int(round(b / step))] += 1
    edges = np.diff(np.concatenate([[0], (count >= 2).astype(int), [0]]))
    return [(float(a * step), float(b * step)) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))]


@dataclass(frozen=True)
class OverlapScore:
    precision: float
    recall: float
    reference_seconds: float
    detected_seconds: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def overlap_score(reference: list[Segment], detected: list[tuple[float, float]], total: float,
                  step: float = 0.01) -> OverlapScore:
    """Frame-level (10 ms) precision and recall of detected overlap against the reference's overlap."""
    n = int(np.ceil(total / step)) + 1

    def mask(spans: list[tuple[float, float]]) -> np.ndarray:
        m = np.zeros(n, dtype=bool)
        for a, b in spans:
            m[int(round(a / step)):int(round(b / step))] = True
        return m

    ref, hyp = mask(overlap_regions(reference, step)), mask(detected)
    hit = float((ref & hyp).sum())
    return OverlapScore(precision=hit / hyp.sum() if hyp.any() else 0.0, recall=hit / ref.sum() if ref.any() else 0.0,
                        reference_seconds=float(ref.sum() * step), detected_seconds=float(hyp.sum() * step))


__all__ = ["DerResult", "OverlapScore", "Segment", "der", "overlap_regions", "overlap_score", "read_rttm"]
