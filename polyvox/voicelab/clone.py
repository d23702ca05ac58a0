"""Instant voice cloning on Kokoro: search the style space for the reference speaker.

No zero-shot cloning model ships offline, and Kokoro cannot take reference audio. But a
Kokoro voice is just a style table (see ``style_space``), and a speaker-embedding model
can tell how close a rendering sounds to the reference. So cloning is a search:

1. **Reference.** The cleaned samples' d-vector (mean over all windows), F0 median and
   speaking rate (``analysis.profile``).
2. **Rank.** Every stock voice's d-vector on a fixed probe text is cached
   (``StockProfiles``); the voices of the clone's language and of the speaker's gender (as
   the embedding tells it) whose pitch register is near the reference's are ranked by cosine
   to the reference at no synthesis cost. The top ``k`` span the search.
3. **Blend.** Non-negative least squares over the top voices' d-vectors gives the blend
   whose *embedding mixture* best explains the reference; it and a few pair blends are
   rendered and scored (cosine of the rendering's d-vector to the reference).
4. **Search beyond the blends.** A seeded (1+4) evolution strategy with step-size
   adaptation moves the blend logits, the distance from the average voice (``alpha``)
   and the coordinates along the stock styles' principal directions (``pcs``), keeping
   any step that raises the score: derivative-free, because the score is only available
   through synthesis. The score is the cosine minus a penalty for a pitch register further
   from the reference than the final pitch shift can bridge: the d-vector alone would now
   and then prefer a voice an octave off (a woman cloned into a low male voice).
5. **Register and pace.** The best voice's F0 median and speaking rate are compared
   with the reference's; the difference becomes a pitch shift (PSOLA, formants kept) and
   a speed factor, kept only if the score does not drop.

Every score is measured on speech the model actually rendered; the ``report`` carries
the best stock voice's score for comparison. The same embedder scores the search and our
evaluation (on held-out sentences and held-out recordings), so the figures in
docs/voice-cloning.md also give the F0 and pace match, which the embedder does not set.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import nnls

from polyvox.engines.tts.kokoro_custom import KokoroVoiceAsset
from polyvox.engines.tts.voice_fx import VoiceFX
from polyvox.voicelab import analysis
from polyvox.voicelab.style_space import PROBE_TEXT, Point, StockProfiles, StyleSpace, render

logger = logging.getLogger(__name__)

LANGUAGE_PREFIXES = {"en": "ab", "es": "e", "fr": "f", "hi": "h", "it": "i", "ja": "j", "pt": "p", "zh": "z"}


@dataclass(frozen=True)
class CloneOptions:
    top_k: int = 6
    generations: int = 5
    offspring: int = 4
    sigma: float = 0.35
    seed: int = 0
    language: str = "en"
    match_prosody: bool = True
    register_window: float = 5.0
    """Semitones between a stock voice's F0 and the reference's for it to start the search."""
    register_penalty: float = 0.02
    """Score lost per semitone of F0 beyond ``MAX_PITCH`` from the register (``Start.register_f0``)."""


MAX_PITCH = 4.0
"""Largest pitch shift the clone may carry (PSOLA stays clean within it)."""


def _semitones(a: float, b: float) -> float:
    return 12.0 * math.log2(max(a, 1.0) / max(b, 1.0))


@dataclass
class CloneResult:
    asset: KokoroVoiceAsset
    point: Point
    similarity: float
    """Cosine of the clone's probe rendering to the reference (same embedder as the search)."""
    best_stock: tuple[str, float]
    reference: analysis.VoiceProfile
    evaluations: int
    seconds: float
    trace: list[tuple[str, float]] = field(default_factory=list)

    def report(self) -> dict:
        return {
            "method": "kokoro-style-search", "similarity": round(self.similarity, 4),
            "best_stock_voice": self.best_stock[0], "best_stock_similarity": round(self.best_stock[1], 4),
            "style": self.point.describe(), "speed": round(self.asset.speed, 3),
            "pitch_semitones": round(self.asset.fx.pitch_semitones, 2),
            "reference_f0_hz": round(self.reference.f0_median, 1),
            "reference_rate_sps": round(self.reference.rate, 2),
            "evaluations": self.evaluations, "seconds": round(self.seconds, 1),
        }


class _Scorer:
    """Renders candidates on the probe text and scores them against the reference."""

    def __init__(self, engine, space: StyleSpace, embedder, target: np.ndarray, register_f0: float,
                 english: str, penalty: float) -> None:
        self.engine, self.space, self.embedder, self.english = engine, space, embedder, english
        self.target, self.ref_f0, self.penalty = target, register_f0, penalty
        self.count = 0
        self.trace: list[tuple[str, float]] = []

    def register_cost(self, f0: float) -> float:
        if f0 <= 0 or self.ref_f0 <= 0:
            return 0.0
        return self.penalty * max(0.0, abs(_semitones(f0, self.ref_f0)) - MAX_PITCH)

    def __call__(self, p: Point, speed: float = 1.0, fx: VoiceFX | None = None) -> tuple[float, np.ndarray]:
        x = render(self.engine, self.space.compose(p), PROBE_TEXT, english=self.english, speed=speed, fx=fx)
        self.count += 1
        score = float(self.embedder.embed(x) @ self.target) - self.register_cost(analysis.pitch_stats(x)[0])
        self.trace.append((p.describe() + (f" speed={speed:.2f}" if speed != 1 else "")
                           + (f" pitch={fx.pitch_semitones:+.1f}" if fx else ""), score))
        return score, x


def _gender(name: str) -> str:
    return "female" if name[1:2] == "f" else "male"


@dataclass(frozen=True)
class Start:
    best_stock: tuple[str, float]
    """The stock voice of the language closest to the reference (the baseline to beat)."""
    ranked: list[tuple[str, float]]
    """The stock voices the search starts from, by cosine to the reference."""
    register_f0: float
    """The F0 (Hz) the search keeps near: the reference's, within the range of the pool's voices."""


def rank_stock(stock: StockProfiles, ref: analysis.VoiceProfile, opt: CloneOptions) -> Start:
    """Where the search starts: the stock voices of the language and of the speaker's gender, as
    the speaker embedding tells it (the five closest voices vote), in the speaker's pitch register.

    The gender comes from the embedding, not from F0: raised or declaimed male speech (an
    orator, a shout) can have the F0 of a woman's, and the d-vector is not fooled by that. The
    register is the reference's F0 clamped to the range of that gender's stock voices."""
    prefixes = LANGUAGE_PREFIXES.get(opt.language, "")
    ranked = [(n, s) for n, s in stock.ranked(ref.embedding) if not prefixes or n[0] in prefixes]
    if not ranked:
        ranked = stock.ranked(ref.embedding)
    best_stock = ranked[0]
    votes = [_gender(n) for n, _ in ranked[:5]]
    gender = max(("female", "male"), key=votes.count)
    ranked = [r for r in ranked if _gender(r[0]) == gender] or ranked
    f0s = [stock.get(n).f0_median for n, _ in ranked if stock.get(n).f0_median > 0]
    register = float(np.clip(ref.f0_median, min(f0s), max(f0s))) if f0s and ref.f0_median > 0 else 0.0
    if register > 0:
        def off(name: str) -> float:
            return abs(_semitones(stock.get(name).f0_median, register))

        near = sorted(ranked, key=lambda r: off(r[0]))
        keep = {n for n, _ in near[: opt.top_k]} | {n for n, _ in ranked if off(n) <= opt.register_window}
        ranked = [r for r in ranked if r[0] in keep]
    return Start(best_stock, ranked, register)


def nnls_blend(stock: StockProfiles, names: list[str], target: np.ndarray) -> Point:
    """The blend of ``names`` whose cached embeddings, mixed, best explain ``target``."""
    emb = np.stack([stock.get(n).embedding for n in names])
    w, _ = nnls(emb.T.astype(np.float64), target.astype(np.float64))
    if w.sum() <= 0:
        return Point({names[0]: 1.0})
    return Point({n: float(v) for n, v in zip(names, w / w.sum()) if v > 1e-3})


def english_of(weights: dict[str, float]) -> str:
    """The English dialect of a blend: British when British voices weigh most."""
    brit = sum(w for n, w in weights.items() if n.startswith("b"))
    return "en-gb" if brit > 0.5 * sum(weights.values()) else "en-us"


def clone_voice(engine, embedder, space: StyleSpace, stock: StockProfiles, reference: np.ndarray,
                options: CloneOptions | None = None,
                progress: Callable[[float, str], None] | None = None) -> CloneResult:
    """Find the Kokoro voice closest to ``reference`` (16 kHz mono speech; see module doc)."""
    opt = options or CloneOptions()
    t0 = time.perf_counter()
    say = progress or (lambda f, m: None)
    say(0.02, "analysing the samples")
    ref = analysis.profile(reference, embedder)
    start = rank_stock(stock, ref, opt)
    best_stock, ranked = start.best_stock, start.ranked
    top = [n for n, _ in ranked[: opt.top_k]]
    english = english_of({top[0]: 1.0})
    score = _Scorer(engine, space, embedder, ref.embedding, start.register_f0, english, opt.register_penalty)

    # 3. blends suggested by the embedding mixture
    best = Point({top[0]: 1.0})
    # the cached probe rendering is exactly this evaluation
    best_score = ranked[0][1] - score.register_cost(stock.get(top[0]).f0_median)
    blend = nnls_blend(stock, top, ref.embedding)
    candidates = [blend] if len(blend.weights) > 1 else []
    candidates += [Point({top[0]: 0.6, other: 0.4}) for other in top[1:3]]
    for i, p in enumerate(candidates):
        say(0.05 + 0.15 * i / max(1, len(candidates)), "trying blends")
        s, _ = score(p)
        if s > best_score:
            best, best_score = p, s

    # 4. (1+lambda)-ES over logits, log(alpha) and principal coordinates
    rng = np.random.default_rng(opt.seed)
    n_pc = len(space.pcs)

    def encode(p: Point) -> np.ndarray:
        logits = np.array([math.log(max(p.weights.get(n, 0.0), 1e-3)) for n in top])
        pcs = np.zeros(n_pc) if not p.pcs else np.asarray(p.pcs)
        return np.concatenate([logits, [math.log(p.alpha)], pcs])

    def decode(v: np.ndarray) -> Point:
        logits = v[: len(top)]
        ww = np.exp(logits - logits.max())
        ww /= ww.sum()
        alpha = float(np.clip(math.exp(v[len(top)]), 0.6, 1.8))
        pcs = tuple(float(c) for c in np.clip(v[len(top) + 1:], -2.5, 2.5))
        return Point({n: float(x) for n, x in zip(top, ww) if x > 0.01}, alpha, pcs)

    x = encode(best)
    sigma = opt.sigma
    scale = np.concatenate([np.full(len(top), 1.5), [0.4], np.full(n_pc, 1.0)])
    total = opt.generations * opt.offspring
    for g in range(opt.generations):
        improved = False
        for j in range(opt.offspring):
            say(0.2 + 0.65 * (g * opt.offspring + j) / total, "searching the style space")
            cand = decode(x + sigma * scale * rng.standard_normal(len(x)))
            s, _ = score(cand)
            if s > best_score:
                best, best_score, improved = cand, s, True
        if improved:
            x = encode(best)
            sigma *= 1.3
        else:
            sigma *= 0.6

    # 5. register and pace
    speed, fx = 1.0, VoiceFX()
    if opt.match_prosody:
        say(0.88, "matching pitch and pace")
        _, x_best = score(best)
        got = analysis.profile(x_best, embedder)
        if got.rate > 0 and ref.rate > 0:
            speed = float(np.clip(ref.rate / got.rate, 0.8, 1.25))
        if got.f0_median > 0 and ref.f0_median > 0:
            semis = float(np.clip(_semitones(ref.f0_median, got.f0_median), -MAX_PITCH, MAX_PITCH))
            if abs(semis) >= 0.5:
                fx = VoiceFX(pitch_semitones=round(semis, 1))
        if abs(speed - 1) >= 0.03 or not fx.neutral:
            s, _ = score(best, speed=speed, fx=fx)
            if s + 0.005 < best_score and not fx.neutral:  # the shift made it less like the speaker
                fx = VoiceFX()
                s, _ = score(best, speed=speed)
            if s + 0.005 < best_score:
                speed = 1.0
            else:
                best_score = max(best_score, s) if fx.neutral and speed == 1.0 else s
    english = english_of(best.weights)
    asset = KokoroVoiceAsset(style=space.compose(best), speed=speed, fx=fx, english=english)
    say(1.0, "done")
    return CloneResult(asset=asset, point=best, similarity=best_score, best_stock=best_stock, reference=ref,
                       evaluations=score.count, seconds=time.perf_counter() - t0, trace=score.trace)


__all__ = ["CloneOptions", "CloneResult", "Start", "clone_voice", "english_of", "nnls_blend", "rank_stock"]
