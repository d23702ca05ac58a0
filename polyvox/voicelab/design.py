"""Voice design on Kokoro: a description in words -> a few voices that follow it.

No text-to-voice model ships offline, but Kokoro's style space (``style_space``) holds 54
measured stock voices and everything between them, and post-processing (``voice_fx``)
moves pitch and vocal-tract size. So design is a guided search:

1. **Attributes.** ``describe.parse_description`` reads gender, age, accent, pitch, pace,
   tone, emotion and archetypes into changes from the typical voice of the gender.
2. **Target.** The typical voice is the median of the English stock voices of that gender
   (F0, speaking rate, spectral tilt, F0 range as measured on the probe text,
   ``StockProfiles``); the attributes move it: "deep" = -4 semitones, "slow" = -22 % rate,
   "breathy" = -1.2 dB/octave, "very" x1.6 ...
3. **Pick and blend.** Stock voices of the gender (and of the accent's language, when one
   is asked for) are ranked by the distance of their measured profile to the target; voices
   of another language come last, as they carry their accent into the text. Each
   preview starts from a different voice of the top of that ranking, blended with another
   one from it, plus a small random step along the style space's principal directions:
   that is what makes the previews different people.
4. **Push the style.** A linear model fitted on the 54 stock voices maps principal
   coordinates to F0, rate and tilt. Its tilt direction, made orthogonal to its F0
   direction, moves the voice's spectral tilt towards the target without moving F0
   (about 0.8 dB/octave per unit); the model also predicts each blend's profile.
5. **Render and post-process.** Each voice speaks the preview text at a speed set by the
   described pace; its measured F0 then fixes the pitch shift (PSOLA, formants kept) that
   lands it on the target, and the described size sets the formant ratio (``VoiceFX``).
   Text effects (a question raises F0 for every voice) are taken out by comparing the
   previews' measurements with their predictions: the median difference is the text's.
6. **Check and correct.** Each finished preview is measured again. A preview whose F0 or
   (when tone words were used) spectral tilt went the wrong way from the gender's typical
   voice, or less than half as far as described, is corrected once: pitch by re-shifting,
   tilt by pushing the style further along the tilt direction (the formant shift moves the
   tilt too). Pace is checked against the average voice (the mean style table at speed 1)
   speaking the same text, by speech time without pauses (``analysis.active_seconds``): the
   stock voices' rates on the probe text say almost nothing about their rate on another text
   (correlation 0.07 over the 28 English voices). Tilt and pace share one re-rendering, kept
   only if nothing it corrects moves the wrong way.

The result is a ``KokoroVoiceAsset`` per preview (style table, speed, pitch and formant
shift, English dialect): the voice a saved preview becomes renders exactly as its preview.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

from polyvox.audio import dsp
from polyvox.engines.tts import voice_fx
from polyvox.engines.tts.base import SynthesisRequest
from polyvox.engines.tts.kokoro_custom import KokoroVoiceAsset
from polyvox.engines.tts.voice_fx import VoiceFX
from polyvox.voicelab import analysis
from polyvox.voicelab.describe import Attributes
from polyvox.voicelab.style_space import Point, StockProfiles, StyleSpace

logger = logging.getLogger(__name__)

ENGLISH_PREFIXES = "ab"
LANGUAGE_PREFIXES = {"en": "ab", "es": "e", "fr": "f", "hi": "h", "it": "i", "ja": "j", "pt": "p", "zh": "z"}
MAX_PITCH = 6.0
SPEED_RANGE = (0.7, 1.45)
PITCH_WINDOW = 3.5
"""Semitones around the gender's typical F0 that an undescribed pitch may stay in."""
PACE_CHECK = 0.05
"""log rate: a described pace change at least this large is checked against the average voice."""
TILT_CHECK = 0.3
"""dB/octave: a described tilt change at least this large is checked and corrected."""
FOREIGN_COST = 30.0
"""Ranking cost of a stock voice whose language is neither the text's nor the described accent's."""


def st(hz: float) -> float:
    """Semitones re 100 Hz."""
    return 12.0 * math.log2(max(hz, 1e-3) / 100.0)


@dataclass(frozen=True)
class DesignOptions:
    n: int = 3
    seed: int | None = None
    variety: float = 0.5
    """0-1: how far the previews may stray from the best match (quality 1 -> 0, -1 -> 1)."""
    guidance: float = 1.0
    """Multiplies every described change (guidance_scale 5 -> 1)."""
    language: str = "en"
    correct: bool = True


# ------------------------------------------------------------------ the style space as a model


@dataclass(frozen=True)
class Directions:
    """Linear model of the stock voices' measures over principal coordinates."""

    f0: np.ndarray
    """semitones per unit coordinate"""
    rate: np.ndarray
    """log syllables/s per unit"""
    tilt: np.ndarray
    """dB/octave per unit"""
    tilt_dir: np.ndarray
    """unit vector that moves tilt and (per the model) not F0"""
    tilt_per_unit: float
    coords: np.ndarray
    """[V, n_pcs] principal coordinates of the stock voices"""

    @classmethod
    def fit(cls, space: StyleSpace, stock: StockProfiles) -> Directions:
        dev = ((space.tables - space.mean) / space.std).reshape(len(space.names), -1).astype(np.float64)
        pcs = space.pcs.reshape(len(space.pcs), -1).astype(np.float64)
        coords = dev @ pcs.T / np.sum(pcs * pcs, axis=1)  # the PCs are orthogonal
        x = np.c_[coords, np.ones(len(coords))]
        prof = [stock.get(n) for n in space.names]

        def fit(y: np.ndarray) -> np.ndarray:
            # a little ridge: 54 voices, 8 coordinates
            a = x.T @ x + np.diag([1.0] * coords.shape[1] + [0.0])
            return np.linalg.solve(a, x.T @ y)[:-1]

        bf = fit(np.array([st(p.f0_median) for p in prof]))
        br = fit(np.array([math.log(max(p.rate, 0.5)) for p in prof]))
        bt = fit(np.array([p.tilt for p in prof]))
        d = bt - (bt @ bf) / (bf @ bf) * bf
        d /= np.linalg.norm(d) + 1e-12
        return cls(f0=bf, rate=br, tilt=bt, tilt_dir=d, tilt_per_unit=float(bt @ d), coords=coords)


_DIRECTIONS: dict[int, tuple[StockProfiles, Directions]] = {}


def directions(space: StyleSpace, stock: StockProfiles) -> Directions:
    hit = _DIRECTIONS.get(id(stock))
    if hit is None or hit[0] is not stock:
        hit = (stock, Directions.fit(space, stock))
        _DIRECTIONS[id(stock)] = hit
    return hit[1]


# ------------------------------------------------------------------------------ target


@dataclass(frozen=True)
class Target:
    """Where the voice should land, on the probe-text scale of ``StockProfiles``."""

    f0: float
    """semitones re 100 Hz"""
    rate: float
    """log syllables/s"""
    tilt: float
    range: float
    """F0 p10-p90 in semitones"""
    base_f0: float
    base_rate: float
    base_tilt: float
    base_range: float
    pool: tuple[str, ...]
    """Stock voices the search may start from."""

    def describe(self) -> dict:
        return {"f0_hz": round(100 * 2 ** (self.f0 / 12), 1), "rate_sps": round(math.exp(self.rate), 2),
                "tilt_db_per_octave": round(self.tilt, 2),
                "typical_f0_hz": round(100 * 2 ** (self.base_f0 / 12), 1),
                "typical_rate_sps": round(math.exp(self.base_rate), 2),
                "typical_tilt_db_per_octave": round(self.base_tilt, 2)}


def _gender_of(name: str) -> str:
    return "female" if name[1] == "f" else "male"


def typical(stock: StockProfiles, gender: str | None) -> tuple[float, float, float, float]:
    """Median (F0 st, log rate, tilt, F0 range st) of the English stock voices of ``gender``."""
    names = [n for n in stock.names if n[0] in ENGLISH_PREFIXES and (gender is None or _gender_of(n) == gender)]
    prof = [stock.get(n) for n in names]
    return (float(np.median([st(p.f0_median) for p in prof])),
            float(np.median([math.log(max(p.rate, 0.5)) for p in prof])),
            float(np.median([p.tilt for p in prof])),
            float(np.median([p.f0_range_semitones for p in prof])))


def target_for(attrs: Attributes, stock: StockProfiles) -> Target:
    # children's voices start from women's (higher F0, smaller vocal tract) whatever the gender
    base_gender = "female" if attrs.age == "child" else attrs.gender
    f0, rate, tilt, rng = typical(stock, base_gender)
    pool = tuple(n for n in stock.names if base_gender is None or _gender_of(n) == base_gender)
    return Target(f0=f0 + attrs.pitch, rate=rate + attrs.pace, tilt=tilt + attrs.tilt,
                  range=rng + 3.0 * attrs.expressive, base_f0=f0, base_rate=rate, base_tilt=tilt,
                  base_range=rng, pool=pool)


# ------------------------------------------------------------------------------ candidates


@dataclass
class Candidate:
    point: Point
    english: str
    speed: float
    formant: float
    pitch_offset: float
    """This preview's own offset from the target F0 (semitones), for variety."""
    predicted_f0: float
    predicted_rate: float
    predicted_tilt: float


def _cost(name: str, attrs: Attributes, t: Target, stock: StockProfiles, language: str) -> float:
    p = stock.get(name)
    c = ((st(p.f0_median) - t.f0) / 4.0) ** 2
    c += (1.0 if attrs.pace_set else 0.2) * ((math.log(max(p.rate, 0.5)) - t.rate) / 0.08) ** 2
    c += (1.0 if attrs.tone_set else 0.2) * (p.tilt - t.tilt) ** 2
    if abs(attrs.expressive) > 0.05:
        c += 0.5 * ((p.f0_range_semitones - t.range) / 3.0) ** 2
    speaks = LANGUAGE_PREFIXES.get(language, ENGLISH_PREFIXES)
    wanted = speaks
    if attrs.accent is not None and attrs.accent.prefixes and language == "en":
        wanted = attrs.accent.prefixes
    if name[0] not in wanted:
        # a voice of another language carries its accent into the text (Japanese and Chinese voices
        # reading English were 20-80 % WER in bench/voice_design_eval.py): last resort, unless asked for
        c += 3.0 if name[0] in speaks else FOREIGN_COST
    return c


def rank(attrs: Attributes, t: Target, stock: StockProfiles, language: str = "en") -> list[tuple[str, float]]:
    return sorted(((n, _cost(n, attrs, t, stock, language)) for n in t.pool), key=lambda x: x[1])


def plan(attrs: Attributes, t: Target, space: StyleSpace, stock: StockProfiles, options: DesignOptions,
         rng: np.random.Generator) -> list[Candidate]:
    """``options.n`` different voices aimed at ``t`` (no rendering yet)."""
    dirs = directions(space, stock)
    ranked = rank(attrs, t, stock, options.language)
    top = [n for n, _ in ranked[: max(options.n + 3, 6)]]
    costs = np.array([c for _, c in ranked[: len(top)]])
    out = []
    for i in range(options.n):
        primary = top[i % len(top)]
        # not an earlier preview's main voice: the same pair with other weights is the same person
        others = [n for n in top if n != primary and n not in top[:i]] or [n for n in top if n != primary]
        prob = np.exp(-(costs[[top.index(n) for n in others]] - costs.min()) / 2.0)
        partner = others[int(rng.choice(len(others), p=prob / prob.sum()))]
        w = float(rng.uniform(0.15, 0.25 + 0.2 * options.variety))
        weights = {primary: 1.0 - w, partner: w}
        pcs = rng.normal(0.0, 0.1 + 0.3 * options.variety, len(space.pcs))
        prof = {n: stock.get(n) for n in weights}

        def mix(f, prof=prof, weights=weights) -> float:
            return float(sum(v * f(prof[n]) for n, v in weights.items()))

        # the model predicts the blend as its coordinates' measures; the stock measures anchor it
        f0 = mix(lambda p: st(p.f0_median)) + float(dirs.f0 @ pcs)
        rate = mix(lambda p: math.log(max(p.rate, 0.5))) + float(dirs.rate @ pcs)
        tilt = mix(lambda p: p.tilt) + float(dirs.tilt @ pcs)
        if attrs.tone_set:
            push = float(np.clip((t.tilt - tilt) / dirs.tilt_per_unit, -2.0, 2.0))
            pcs = pcs + push * dirs.tilt_dir
            f0 += push * float(dirs.f0 @ dirs.tilt_dir)
            rate += push * float(dirs.rate @ dirs.tilt_dir)
            tilt += push * dirs.tilt_per_unit
        speed = math.exp(attrs.pace) if attrs.pace_set else 1.0
        speed = float(np.clip(speed * math.exp(rng.normal(0.0, 0.03)), *SPEED_RANGE))
        formant = float(np.clip(attrs.formant * math.exp(rng.normal(0.0, 0.015 * options.variety)), 0.8, 1.25))
        if attrs.accent is not None and attrs.accent.prefixes in ("a", "b"):
            english = attrs.accent.english
        else:
            english = "en-gb" if sum(v for n, v in weights.items() if n[0] == "b") > 0.5 else "en-us"
        out.append(Candidate(point=Point(weights, 1.0, tuple(float(c) for c in pcs)), english=english,
                             speed=speed, formant=formant, pitch_offset=float(rng.normal(0.0, 0.6)),
                             predicted_f0=f0, predicted_rate=rate, predicted_tilt=tilt))
    return out


def blind_assets(attrs: Attributes, space: StyleSpace, stock: StockProfiles,
                 options: DesignOptions) -> list[KokoroVoiceAsset]:
    """Kokoro voices for ``attrs`` from the model alone (no rendering): the Kokoro
    counterpart of a voice designed on another engine."""
    t = target_for(attrs, stock)
    rng = np.random.default_rng(options.seed)
    out = []
    for c in plan(attrs, t, space, stock, options, rng):
        goal = t.f0 + c.pitch_offset if attrs.pitch_set else float(np.clip(c.predicted_f0, t.base_f0 - PITCH_WINDOW,
                                                                           t.base_f0 + PITCH_WINDOW))
        pitch = float(np.clip(goal - c.predicted_f0, -MAX_PITCH, MAX_PITCH))
        out.append(KokoroVoiceAsset(style=space.compose(c.point), speed=c.speed,
                                    fx=VoiceFX(round(pitch, 2), round(c.formant, 3)), english=c.english))
    return out


# ------------------------------------------------------------------------------ rendering


@dataclass
class DesignedPreview:
    asset: KokoroVoiceAsset
    audio: np.ndarray
    """float32 mono at ``sample_rate``: exactly what the asset renders for the text."""
    sample_rate: int
    profile: analysis.VoiceProfile
    report: dict


@dataclass
class DesignResult:
    attributes: Attributes
    target: Target
    previews: list[DesignedPreview]
    text_offset: dict
    renders: int
    seconds: float
    similarities: list[float] = field(default_factory=list)
    """Speaker similarity (cosine of d-vectors) of every pair of previews."""

    def report(self) -> dict:
        return {"method": "kokoro-style-design", "attributes": self.attributes.describe(),
                "target": self.target.describe(), "text_offset": self.text_offset, "renders": self.renders,
                "seconds": round(self.seconds, 2),
                "pairwise_similarity": [round(s, 3) for s in self.similarities]}


class _Renderer:
    def __init__(self, engine, text: str, language: str) -> None:
        self.engine, self.text, self.language = engine, text, language
        self.count = 0

    def __call__(self, style: np.ndarray, speed: float, english: str) -> tuple[np.ndarray, int]:
        """Raw speech (no post-processing) at the engine's rate."""
        asset = KokoroVoiceAsset(style=style, speed=speed, fx=VoiceFX(), english=english)
        syn = self.engine.synthesize(SynthesisRequest(text=self.text, voice="custom:unsaved",
                                                      language=self.language), asset=asset)
        self.count += 1
        return syn.audio, syn.sample_rate


def _finish(raw: np.ndarray, rate: int, fx: VoiceFX, embedder) -> tuple[np.ndarray, analysis.VoiceProfile]:
    audio = voice_fx.apply(raw, rate, fx)  # what the engine does after synthesis
    return audio, analysis.profile(dsp.resample(audio, rate, analysis.RATE), embedder)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def design_voices(engine, embedder, space: StyleSpace, stock: StockProfiles, attrs: Attributes, text: str,
                  options: DesignOptions | None = None) -> DesignResult:
    """Design ``options.n`` voices for ``attrs``, each rendered speaking ``text`` (see module doc)."""
    opt = options or DesignOptions()
    t0 = time.perf_counter()
    attrs = attrs.scaled(opt.guidance) if abs(opt.guidance - 1.0) > 1e-6 else attrs
    t = target_for(attrs, stock)
    rng = np.random.default_rng(opt.seed)
    candidates = plan(attrs, t, space, stock, opt, rng)
    render = _Renderer(engine, text, opt.language)

    raws = []
    for c in candidates:
        table = space.compose(c.point)
        audio, rate = render(table, c.speed, c.english)
        x16 = dsp.resample(audio, rate, analysis.RATE)
        f0 = analysis.pitch_stats(x16)[0]
        raws.append((table, audio, rate, f0, analysis.spectral_tilt(x16)))
    # the pace of this text in the average voice (the mean style, speed 1): what "slow" is slower than
    reference = None
    if opt.correct and attrs.pace_set and abs(attrs.pace) >= PACE_CHECK:
        audio, rate = render(space.mean, 1.0, candidates[0].english)
        reference = analysis.active_seconds(dsp.resample(audio, rate, analysis.RATE))

    # what the text does to every voice: measured minus predicted, median over the previews
    f0_diffs = [st(r[3]) - c.predicted_f0 for r, c in zip(raws, candidates) if r[3] > 0]
    off_f0 = float(np.median(f0_diffs)) if f0_diffs else 0.0
    off_tilt = float(np.median([r[4] - c.predicted_tilt for r, c in zip(raws, candidates)]))
    dirs = directions(space, stock)

    def pace_of(x: np.ndarray, x_rate: int) -> float:
        """log speaking-rate ratio to the reference (same text: the inverse ratio of speech time)."""
        return math.log(reference / max(analysis.active_seconds(dsp.resample(x, x_rate, analysis.RATE)), 0.1))

    def short(got: float, wanted: float) -> bool:
        """Moved the wrong way, or less than half as far as described."""
        return _sign(got) != _sign(wanted) or abs(got) < 0.5 * abs(wanted)

    previews = []
    for c, (table, audio, rate, raw_f0, _) in zip(candidates, raws):
        if attrs.pitch_set:
            goal = t.f0 + c.pitch_offset
        else:  # keep the voice's own pitch inside the gender's usual range
            natural = st(raw_f0) - off_f0 if raw_f0 > 0 else c.predicted_f0
            goal = float(np.clip(natural, t.base_f0 - PITCH_WINDOW, t.base_f0 + PITCH_WINDOW))
        measured_raw = st(raw_f0) - off_f0 if raw_f0 > 0 else c.predicted_f0
        pitch = float(np.clip(goal - measured_raw, -MAX_PITCH, MAX_PITCH))
        speed, point = c.speed, c.point
        fx = VoiceFX(round(pitch, 2), round(c.formant, 3))
        final, prof = _finish(audio, rate, fx, embedder)
        corrections = []
        if opt.correct and attrs.pitch_set and prof.f0_median > 0:
            intended = t.f0 - t.base_f0
            got = st(prof.f0_median) - off_f0 - t.base_f0
            if abs(intended) >= 0.5 and short(got, intended):
                fx = VoiceFX(round(float(np.clip(pitch + goal - (got + t.base_f0), -MAX_PITCH, MAX_PITCH)), 2),
                             fx.formant_ratio)
                final, prof = _finish(audio, rate, fx, embedder)
                corrections.append("pitch")
        # pace and tilt: one more rendering, kept if nothing it corrects moves the wrong way
        wrong: dict[str, float] = {}
        new_speed, new_point = speed, point
        if reference is not None and short(pace_of(final, rate), attrs.pace):
            wrong["pace"] = attrs.pace
            new_speed = float(np.clip(speed * math.exp(attrs.pace - pace_of(final, rate)), *SPEED_RANGE))
        if opt.correct and attrs.tone_set and abs(attrs.tilt) >= TILT_CHECK and prof.f0_median > 0 \
                and short(prof.tilt - off_tilt - t.base_tilt, attrs.tilt):
            # post-processing moves the tilt too (a bigger vocal tract darkens the spectrum):
            # push the style further along the tilt direction by what is still missing
            wrong["tilt"] = attrs.tilt
            push = float(np.clip((t.tilt - (prof.tilt - off_tilt)) / dirs.tilt_per_unit, -2.0, 2.0))
            new_point = Point(point.weights, point.alpha, tuple(np.add(point.pcs, push * dirs.tilt_dir)))
        if wrong and (abs(new_speed - speed) > 0.01 or new_point is not point):
            table2 = space.compose(new_point) if new_point is not point else table
            audio2, rate2 = render(table2, new_speed, c.english)
            final2, prof2 = _finish(audio2, rate2, fx, embedder)
            moved = {"pace": pace_of(final2, rate2) - pace_of(final, rate) if "pace" in wrong else 0.0,
                     "tilt": prof2.tilt - prof.tilt if "tilt" in wrong else 0.0}
            signs = [_sign(wanted) * moved[k] for k, wanted in wrong.items()]
            if prof2.f0_median > 0 and min(signs) >= 0 and max(signs) > 0:
                final, prof, audio, rate, table = final2, prof2, audio2, rate2, table2
                speed, point = new_speed, new_point
            corrections += sorted(wrong)
        asset = KokoroVoiceAsset(style=table, speed=speed, fx=fx, english=c.english)
        report = {
            "style": point.describe(), "english": c.english, "speed": round(speed, 3),
            "pitch_semitones": fx.pitch_semitones, "formant_ratio": fx.formant_ratio,
            "predicted": {"f0_hz": round(100 * 2 ** (c.predicted_f0 / 12), 1),
                          "rate_sps": round(math.exp(c.predicted_rate), 2),
                          "tilt_db_per_octave": round(c.predicted_tilt, 2)},
            "measured": {"f0_hz": round(prof.f0_median, 1), "rate_sps": round(prof.rate, 2),
                         "tilt_db_per_octave": round(prof.tilt, 2)}
            | ({"pace_vs_average_voice": round(pace_of(final, rate), 3)} if reference is not None else {}),
            "corrections": corrections,
        }
        previews.append(DesignedPreview(asset=asset, audio=final, sample_rate=rate, profile=prof, report=report))

    sims = [previews[i].profile.similarity(previews[j].profile)
            for i in range(len(previews)) for j in range(i + 1, len(previews))]
    result = DesignResult(attributes=attrs, target=t, previews=previews,
                          text_offset={"f0_semitones": round(off_f0, 2), "tilt_db_per_octave": round(off_tilt, 2)},
                          renders=render.count, seconds=time.perf_counter() - t0, similarities=sims)
    logger.info("designed %d voices in %.1f s (%d renders): %s", len(previews), result.seconds, render.count,
                [p.report["style"] for p in previews])
    return result


__all__ = ["DesignOptions", "DesignResult", "DesignedPreview", "Directions", "Target", "blind_assets",
           "design_voices", "directions", "plan", "rank", "st", "target_for", "typical"]
