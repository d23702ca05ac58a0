"""One renderer per sound kind: physical or classic sound-design recipes, layered.

Each renderer fills ``n`` samples (stereo) for one step of a plan. One-shots put their
sound near the start and let it ring out; textures fill the whole span. Every random
choice goes through ``Ctx.rng`` and every "designer's choice" of a number through
``Ctx.vary`` (nominal value at prompt_influence 1, spread around it below), so a seed
reproduces a sound and prompt_influence sets how far takes differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from polyvox.engines.sfx import synth as s
from polyvox.engines.sfx.prompt import Traits


@dataclass
class Ctx:
    rng: np.random.Generator
    variation: float
    """0 (literal) .. 1 (free)."""
    rate: int
    loop: bool = False
    tempo: float | None = None
    key_root: int | None = None
    minor: bool = False
    genre: str | None = None
    text: str = ""

    def vary(self, x: float, spread: float = 0.15) -> float:
        return float(x * np.exp(spread * self.variation * self.rng.standard_normal()))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p * self.variation)


Renderer = Callable[[int, Traits, Ctx], np.ndarray]


def _size_pitch(tr: Traits) -> float:
    """Bigger things sound lower: a frequency multiplier from the size trait."""
    return float(2.0 ** ((0.5 - tr.size) * 1.6))


# ------------------------------------------------------------------------------ hits
def _thump(n: int, rate: int, f0: float, f1: float, decay: float, drop: float = 0.06) -> np.ndarray:
    t = s.seconds(n, rate)
    f = f1 + (f0 - f1) * np.exp(-t / drop)
    return s.osc(f, n, "sine", rate) * s.env_ad(n, 0.002, decay, rate)


def _click(n: int, rate: int, rng, bright: float, length: float = 0.012) -> np.ndarray:
    m = min(n, int(length * rate))
    x = np.zeros(n)
    x[:m] = s.highpass(s.noise(m, rng), 1500 + 5000 * bright, rate) * s.env_ad(m, 0.0005, length, rate)
    return x


def _material_body(n: int, rate: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    p = _size_pitch(tr)
    mat = tr.material or "wood"
    if mat == "metal":
        ratios, base, dec = (1.0, 2.76, 5.40, 8.93, 13.3), ctx.vary(420 * p, 0.2), 1.6
    elif mat == "glass":
        ratios, base, dec = (1.0, 2.32, 4.25, 6.63), ctx.vary(1500 * p, 0.2), 0.9
    elif mat == "stone":
        ratios, base, dec = (1.0, 1.58, 2.31, 3.12), ctx.vary(180 * p, 0.2), 0.12
    elif mat in ("plastic", "cardboard"):
        ratios, base, dec = (1.0, 1.7, 2.9), ctx.vary(320 * p, 0.2), 0.08
    else:
        ratios, base, dec = (1.0, 2.1, 3.3, 4.9), ctx.vary(210 * p, 0.2), 0.18
    freqs = [base * r * ctx.vary(1.0, 0.03) for r in ratios]
    decs = [dec / (1 + 0.5 * i) for i in range(len(ratios))]
    amps = [1 / (1 + i) for i in range(len(ratios))]
    return s.modal(freqs, decs, amps, n, rate, ctx.rng)


def impact(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    count = tr.count or 1
    out = np.zeros(n)
    gap = max(0.18, min(0.6, (n / rate - 1.0) / max(1, count)))
    p = _size_pitch(tr)
    for i in range(count):
        m = min(n, int(ctx.vary(1.2 + 1.5 * tr.size, 0.2) * rate))
        hit = (_thump(m, rate, ctx.vary(150 * p, 0.2), ctx.vary(48 * p, 0.15), ctx.vary(0.35 + 0.6 * tr.size, 0.2))
               * (0.6 + 0.6 * tr.intensity))
        hit += 0.5 * _click(m, rate, rng, tr.brightness)
        hit += 0.35 * _material_body(m, rate, tr, ctx) * s.env_ad(m, 0.001, 0.4, rate)
        noise_tail = s.lowpass(s.noise(m, rng, "pink"), 900 + 2500 * tr.brightness, rate) * s.env_ad(m, 0.001, 0.25,
                                                                                                     rate)
        hit += 0.25 * noise_tail
        s.place(out, hit * ctx.vary(1.0, 0.15), int(i * gap * rate))
    out = s.drive(out / (np.max(np.abs(out)) + 1e-9), 0.3 * tr.intensity)
    return s.pan(out, ctx.rng.uniform(-0.2, 0.2) * ctx.variation)


def explosion(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    decay = min(n / rate, ctx.vary(2.5 + 2 * tr.size, 0.2))
    boom = _thump(n, rate, ctx.vary(90, 0.2), ctx.vary(32, 0.1), decay * 0.8, drop=0.15)
    body = s.lowpass(s.noise(n, rng, "brown"), ctx.vary(700, 0.3), rate, 4) * s.env_ad(n, 0.004, decay, rate)
    roar = s.tilt_lowpass(s.noise(n, rng, "pink"), 6000 * np.exp(-s.seconds(n, rate) / 0.35) + 300, rate)
    roar *= s.env_ad(n, 0.002, decay * 0.7, rate)
    debris_t = rng.exponential(0.5, int(ctx.vary(60, 0.3))) * rate
    kernel = s.highpass(rng.standard_normal(int(0.006 * rate)), 2000, rate) * np.hanning(int(0.006 * rate))
    debris = s.impulses(n, debris_t, rng.uniform(0.05, 0.3, len(debris_t)) * np.exp(-debris_t / rate / 1.2), kernel)
    x = 1.0 * boom + 0.9 * body / 3 + 0.6 * roar / 3 + 0.5 * debris
    x = s.drive(x / (np.max(np.abs(x)) + 1e-9), 0.5)
    st = s.stereo(x) * 0.8 + s.pan(s.lowpass(s.noise(n, rng, "brown"), 400, rate) * s.env_ad(n, 0.05, decay, rate)
                                   * 0.1, rng.uniform(-0.5, 0.5))
    return st


def gunshot(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    count = tr.count or 1
    out = np.zeros(n)
    gap = max(0.12, min(0.5, (n / rate - 1.2) / max(1, count)))
    for i in range(count):
        m = min(n, int(1.2 * rate))
        crack = s.highpass(s.noise(m, rng), 800, rate) * s.env_ad(m, 0.0003, ctx.vary(0.05, 0.2), rate)
        body = _thump(m, rate, ctx.vary(160, 0.15), 60, 0.25, drop=0.02)
        tail = s.lowpass(s.noise(m, rng, "pink"), 1800, rate) * s.env_ad(m, 0.004, ctx.vary(0.5, 0.2), rate)
        s.place(out, 1.0 * crack + 0.8 * body + 0.25 * tail, int(i * gap * rate))
    return s.stereo(s.drive(out / (np.max(np.abs(out)) + 1e-9), 0.6))


def glass(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros((n, 2))
    hit = _click(n, rate, rng, 0.9, 0.02) + 0.4 * _thump(n, rate, 200, 80, 0.15)
    out += s.stereo(hit)
    k = int(ctx.vary(70, 0.3))
    times = (rng.exponential(0.25, k) + 0.01) * rate
    for i in range(k):
        m = int(rng.uniform(0.05, 0.4) * rate)
        f = [rng.uniform(2500, 9000) * r for r in (1, 1.6, 2.3)]
        shard = s.modal(f, [rng.uniform(0.05, 0.35)] * 3, [1, 0.5, 0.3], m, rate, rng)
        if times[i] < n:
            buf = np.zeros(n)
            s.place(buf, shard * rng.uniform(0.05, 0.3) * np.exp(-times[i] / rate / 0.8), int(times[i]))
            out += s.pan(buf, rng.uniform(-0.8, 0.8))
    return out


# ------------------------------------------------------------------------------ movement
def whoosh(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    dur = min(n / rate, ctx.vary(0.9 / tr.speed + 0.4 * tr.size, 0.2))
    m = int(dur * rate)
    peak = ctx.vary(0.6, 0.15)
    env = s.env_points(m, [(0, 0), (peak * 0.5, 0.3), (peak, 1), (min(1, peak + 0.2), 0.35), (1, 0)]) ** 1.5
    lo, hi = ctx.vary(350, 0.3) * _size_pitch(tr), ctx.vary(2600, 0.3) * (0.6 + tr.brightness)
    centre = np.exp(np.interp(np.linspace(0, 1, m), [0, peak, 1], [np.log(lo), np.log(hi), np.log(lo * 1.3)]))
    x = s.sweep_filter(s.noise(m, rng, "pink"), centre, 0.9, rate) * env
    if tr.scifi or ctx.chance(0.3):
        x += 0.15 * s.osc(centre * 0.5, m, "saw", rate) * env
    pos = np.linspace(-0.8, 0.8, m) * (1 if rng.random() < 0.5 or ctx.variation == 0 else -1)
    out = np.zeros((n, 2))
    s.place(out, s.pan(x, pos), 0)
    return out


def riser(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    t = np.linspace(0, 1, n)
    curve = t ** ctx.vary(2.0, 0.2)
    centre = 200 * (1 - curve) + ctx.vary(7000, 0.2) * curve
    x = s.sweep_filter(s.noise(n, rng, "white"), centre, 0.7, rate) * (0.1 + 0.9 * curve)
    f = ctx.vary(110, 0.2) * 2 ** (3 * curve)
    tone = s.osc(f, n, "saw", rate) * 0.25 * curve
    trem = 1 + 0.3 * curve * np.sin(2 * np.pi * np.cumsum(2 + 14 * curve) / rate)
    y = (x + s.lowpass(tone, 3000, rate)) * trem
    y = s.fade_edges(y, rate, 5, 8)
    return s.pan(y, np.sin(2 * np.pi * t * 0.5) * 0.3)


def footsteps(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    step_rate = ctx.vary(1.9 * tr.speed, 0.1)
    times = []
    t = ctx.vary(0.15, 0.3)
    limit = tr.count or 10_000
    while t < n / rate - 0.15 and len(times) < limit:
        times.append(t)
        t += (1 / step_rate) * (1 + 0.05 * rng.standard_normal())
    surf = tr.surface or "concrete"
    out = np.zeros((n, 2))
    for i, t0 in enumerate(times):
        m = int(0.35 * rate)
        heel = _thump(m, rate, ctx.vary(110, 0.1), 60, 0.08, drop=0.01) * 0.6
        if surf in ("gravel", "snow", "sand", "grass"):
            grains = int({"gravel": 90, "snow": 60, "sand": 50, "grass": 40}[surf] * rng.uniform(0.8, 1.2))
            gt = rng.uniform(0, 0.2, grains) * rate
            kl = int(0.003 * rate)
            kern = rng.standard_normal(kl) * np.hanning(kl)
            crunch = s.impulses(m, gt, rng.uniform(0.2, 1, grains) * np.exp(-gt / rate / 0.1), kern)
            band = {"gravel": (900, 6000), "snow": (500, 3000), "sand": (600, 4000), "grass": (1500, 8000)}[surf]
            step = heel * 0.5 + s.bandpass(crunch, *band, rate) * 1.2
        elif surf == "water":
            step = heel * 0.4 + s.bandpass(s.noise(m, rng), 400, 3000, rate) * s.env_ad(m, 0.01, 0.25, rate) * 0.8
        else:
            tap = _click(m, rate, rng, 0.3 if surf == "wood" else 0.6, 0.02)
            body = s.modal([ctx.vary(190, 0.1), 420, 760], [0.12, 0.08, 0.05], [1, .5, .3], m, rate, rng) \
                if surf == "wood" else np.zeros(m)
            scuff = s.bandpass(s.noise(m, rng), 1000, 5000, rate) * s.env_ad(m, 0.03, 0.12, rate) * 0.15
            step = heel + 0.7 * tap + 0.4 * body + scuff
        gain = (0.6 + 0.8 * tr.intensity) * rng.uniform(0.8, 1.0)
        buf = np.zeros(n)
        s.place(buf, step * gain, int(t0 * rate), circular=ctx.loop)
        out += s.pan(buf, (-0.12 if i % 2 else 0.12))
    return out


# ------------------------------------------------------------------------------ nature
def rain(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    heavy = 0.3 + 0.7 * tr.intensity
    out = np.zeros((n, 2))
    for ch in range(2):
        bed = s.bandpass(s.noise(n, rng, "pink"), 400, 9000 * (0.6 + 0.4 * tr.brightness), rate)
        swell = 1 + 0.15 * s.smooth_random(n, rng, 0.3, rate)
        drops_n = int(ctx.vary(120 * heavy, 0.2) * n / rate)
        times = rng.uniform(0, n, drops_n)
        kl = int(0.01 * rate)
        kt = np.arange(kl) / rate
        f = ctx.vary(3500, 0.2) * (2 if tr.material == "metal" else 1)
        kern = np.sin(2 * np.pi * f * kt * (1 + 8 * kt)) * np.exp(-kt / 0.002)
        if tr.material == "metal":
            kern += 0.5 * np.sin(2 * np.pi * 1200 * kt) * np.exp(-kt / 0.02)
        drops = s.impulses(n, times, rng.uniform(0.1, 1, drops_n), kern)
        out[:, ch] = bed * swell * (0.5 + 0.5 * heavy) + 0.5 * drops
    return out


def thunder(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros((n, 2))
    strikes = tr.count or max(1, round(n / rate / 6))
    for k in range(strikes):
        at = int((k + 0.15 + 0.3 * ctx.variation * rng.random()) * n / strikes)
        m = min(n - at, int(ctx.vary(4.5, 0.2) * rate))
        if m <= 0:
            continue
        env = s.env_ad(m, ctx.vary(0.05 + 0.3 * tr.distance, 0.3), ctx.vary(3.5, 0.2), rate)
        rumble = s.lowpass(s.noise(m, rng, "brown"), ctx.vary(250 if tr.distance > 0.5 else 600, 0.2), rate, 3)
        rumble *= 1 + 0.6 * s.smooth_random(m, rng, 6, rate)
        crack = 0 if tr.distance > 0.5 else s.highpass(s.noise(m, rng), 1200, rate) * s.env_ad(m, 0.001, 0.4, rate) * .3
        x = (rumble + crack) * env
        buf = np.zeros(n)
        s.place(buf, x, at)
        out += s.pan(buf, rng.uniform(-0.5, 0.5))
    return out


def wind(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros((n, 2))
    howl = "howl" in ctx.text or tr.intensity > 0.7 or tr.mood == "eerie"
    gust = 0.55 + 0.45 * s.smooth_random(n, rng, ctx.vary(0.35 * tr.speed, 0.3), rate)
    for ch in range(2):
        centre = ctx.vary(500, 0.3) * (1 + 1.2 * gust) * (0.7 + 0.6 * tr.brightness)
        x = s.sweep_filter(s.noise(n, rng, "pink"), centre, 1.3, rate) * gust ** 1.5
        if howl:
            whistle = s.sweep_filter(s.noise(n, rng), centre * 1.8, 0.08, rate) * gust ** 2
            x += 1.5 * whistle
        out[:, ch] = x
    return out


def water(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    text = ctx.text
    out = np.zeros((n, 2))
    if "splash" in text:
        m = min(n, int(1.5 * rate))
        sp = s.bandpass(s.noise(m, rng), 300, 6000, rate) * s.env_ad(m, 0.005, ctx.vary(0.9, 0.2), rate)
        sp += 0.6 * _thump(m, rate, 120, 50, 0.2)
        s.place(out, s.stereo(sp), 0)
        n_b, span = 40, 1.2
    else:
        bed = np.stack([s.bandpass(s.noise(n, rng, "pink"), 300, 5000, rate) for _ in range(2)], axis=1) * 0.4
        out += bed * (1 + 0.2 * s.smooth_random(n, rng, 1.5, rate))[:, None]
        n_b, span = int(ctx.vary(25, 0.2) * n / rate), n / rate
    times = rng.uniform(0, min(span, n / rate), n_b) * rate
    for t0 in times:
        m = int(rng.uniform(0.01, 0.04) * rate)
        tt = np.arange(m) / rate
        f0 = rng.uniform(400, 1800)
        bub = np.sin(2 * np.pi * f0 * tt * (1 + 30 * tt)) * np.exp(-tt / (m / rate / 3))
        buf = np.zeros(n)
        s.place(buf, bub * rng.uniform(0.1, 0.4), int(t0), circular=ctx.loop)
        out += s.pan(buf, rng.uniform(-0.6, 0.6))
    return out


def fire(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros((n, 2))
    for ch in range(2):
        roar = s.lowpass(s.noise(n, rng, "brown"), 500, rate) * (1 + 0.4 * s.smooth_random(n, rng, 2, rate))
        k = int(ctx.vary(18 * (0.5 + tr.intensity), 0.2) * n / rate)
        times = rng.uniform(0, n, k)
        kl = int(0.004 * rate)
        kern = s.highpass(rng.standard_normal(kl), 1500, rate) * np.exp(-np.arange(kl) / (0.0008 * rate))
        crackle = s.impulses(n, times, np.minimum(rng.pareto(3.0, k), 3.0) * 0.25, kern)
        out[:, ch] = 0.35 * roar + crackle
    return out


def birds(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros((n, 2))
    n_birds = 1 if tr.count == 1 else int(ctx.vary(3, 0.3)) + 1
    for b in range(n_birds):
        base = rng.uniform(2200, 5200)
        pos = rng.uniform(-0.8, 0.8)
        t = rng.uniform(0, 1.0)
        while t < n / rate:
            phrase = int(rng.integers(2, 6))
            for _ in range(phrase):
                m = int(rng.uniform(0.04, 0.12) * rate)
                tt = np.linspace(0, 1, m)
                f = base * (1 + rng.uniform(-0.3, 0.4) * tt + 0.15 * np.sin(2 * np.pi * rng.uniform(2, 6) * tt))
                chirp = s.osc(f, m, "sine", rate) * np.sin(np.pi * tt) ** 2
                buf = np.zeros(n)
                s.place(buf, chirp * rng.uniform(0.2, 0.6), int(t * rate), circular=ctx.loop)
                out += s.pan(buf, pos)
                t += m / rate + rng.uniform(0.02, 0.08)
            t += rng.uniform(0.8, 3.5)
    return out


def dog(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros(n)
    count = tr.count or max(2, int(ctx.vary(3, 0.3)))
    p = _size_pitch(tr)
    t = 0.05
    growl = "growl" in ctx.text
    for i in range(count):
        m = int((ctx.vary(0.18, 0.2) if not growl else ctx.vary(1.4, 0.2)) * rate)
        tt = np.linspace(0, 1, m)
        f0 = ctx.vary(420 * p, 0.15) * (1 + 0.5 * np.sin(np.pi * tt) - 0.3 * tt) if not growl else \
            ctx.vary(110 * p, 0.1) * (1 + 0.1 * s.smooth_random(m, rng, 20, rate))
        src = s.osc(f0, m, "saw", rate) + 0.25 * s.noise(m, rng)
        voiced = sum(s.resonator(src, f * p, q, rate) * g for f, q, g in
                     ((ctx.vary(700, 0.1), 4, 1.0), (ctx.vary(1500, 0.1), 6, 0.6), (2800, 8, 0.3)))
        env = np.sin(np.pi * np.clip(tt * 1.3, 0, 1)) ** 0.6 * (1 - tt) ** 0.5
        s.place(out, voiced * env * rng.uniform(0.8, 1.0), int(t * rate))
        t += m / rate + ctx.vary(0.25 if not growl else 0.4, 0.3)
        if t > n / rate - 0.2:
            break
    return s.pan(out, ctx.rng.uniform(-0.2, 0.2) * ctx.variation)


# ------------------------------------------------------------------------------ machines
def engine(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    t = np.linspace(0, 1, n)
    big = "truck" in ctx.text or "tractor" in ctx.text or tr.size > 0.7
    idle_rpm = ctx.vary(750 if not big else 600, 0.1)
    if tr.subtype == "rev":
        rpm = idle_rpm + ctx.vary(4500, 0.15) * np.clip(np.sin(np.pi * np.clip(t * 1.25, 0, 1)) ** 1.5, 0, 1)
    else:
        rpm = idle_rpm * (1 + 0.03 * s.smooth_random(n, rng, 1.0, rate))
    cyl = 4 if not big else 6
    fire = rpm / 60 * cyl / 2
    ph = s.phase(fire, n, rate)
    pulses = np.zeros(n)
    for h, a in ((1, 1.0), (2, 0.6), (3, 0.35), (4, 0.25), (6, 0.12)):
        pulses += a * np.sin(2 * np.pi * h * ph + rng.random())
    rough = 1 + 0.3 * s.lowpass(s.noise(n, rng), 60, rate)
    x = pulses * rough + 0.3 * s.lowpass(s.noise(n, rng, "pink"), 2000, rate)
    x = s.resonator(x, ctx.vary(180 if not big else 120, 0.1), 1.5, rate) * 1.5 + 0.4 * x
    if "jet" in ctx.text or "helicopter" in ctx.text:
        x = s.bandpass(s.noise(n, rng, "pink"), 300, 8000, rate) * (1 + 0.5 * np.sin(2 * np.pi * s.phase(
            18.0 if "helicopter" in ctx.text else 0.2, n, rate)))
    x = s.drive(x / (np.max(np.abs(x)) + 1e-9), 0.3)
    return s.stereo(x)


def door(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros(n)
    if tr.subtype == "knock":
        tr2 = Traits(**{**tr.__dict__, "material": tr.material or "wood", "size": 0.35})
        return impact(n, Traits(**{**tr2.__dict__, "count": tr.count or 3, "intensity": 0.55}), ctx)
    creak_len = min(n / rate * 0.8, ctx.vary(1.8 / tr.speed, 0.2))
    if tr.subtype == "close":
        creak_len *= 0.4
    m = int(creak_len * rate)
    # stick-slip: a jittering pulse train through wooden resonances
    tt = np.linspace(0, 1, m)
    rate_hz = ctx.vary(45, 0.3) * (1 + 0.6 * s.smooth_random(m, rng, 3, rate)) * (1 + 0.8 * tt)
    ph = s.phase(rate_hz, m, rate)
    ticks = (np.diff(np.floor(ph), prepend=0) > 0).astype(float) * (0.5 + 0.5 * rng.random(m))
    creak = sum(s.resonator(ticks, f * _size_pitch(tr), q, rate) * g for f, q, g in
                ((ctx.vary(650, 0.2), 12, 1.0), (ctx.vary(1350, 0.2), 15, 0.6), (2300, 18, 0.35)))
    creak *= np.sin(np.pi * tt) ** 0.5
    latch = _click(int(0.2 * rate), rate, rng, 0.7, 0.015) * 0.6
    if tr.subtype == "open":
        s.place(out, latch, int(0.05 * rate))
        s.place(out, creak * 0.8, int(0.15 * rate))
    else:
        s.place(out, creak * 0.6, 0)
        slam_at = int(min(n - 0.5 * rate, m))
        m2 = min(n - max(slam_at, 0), int(1.2 * rate))
        if m2 > 0:
            slam_tr = Traits(**{**tr.__dict__, "material": tr.material or "wood", "size": 0.7, "count": 1})
            slam = impact(m2, slam_tr, ctx)[:, 0] * (0.8 + 0.5 * tr.intensity)
            s.place(out, slam + np.pad(latch, (0, max(0, m2 - len(latch))))[:m2], max(0, slam_at))
    return s.stereo(out)


def glitch(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    src = (0.5 * s.osc(rng.uniform(200, 1200) * (1 + 0.5 * s.smooth_random(n, rng, 8, rate)), n, "square", rate)
           + 0.5 * s.noise(n, rng))
    out = np.zeros((n, 2))
    t = 0
    while t < n:
        g = int(rng.uniform(0.01, 0.09) * rate)
        seg = src[t: t + g] if t + g <= n else src[t:]
        if rng.random() < 0.35:  # stutter: repeat a tiny grain
            r = int(rng.integers(2, 6))
            grain = seg[: max(8, len(seg) // r)]
            seg = np.tile(grain, r)[: len(seg)]
        if rng.random() < 0.5:
            seg = s.bitcrush(seg, int(rng.integers(3, 7)))
        if rng.random() < 0.4:
            seg = s.sample_hold(seg, int(rng.integers(4, 24)))
        if rng.random() < 0.25:
            seg = seg * 0
        seg = seg * np.hanning(len(seg) + 2)[1:-1] ** 0.2
        out[t: t + len(seg)] += s.pan(seg, rng.uniform(-0.9, 0.9))
        t += len(seg)
    return out * 0.6


def beep(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros(n)
    text = ctx.text
    if "click" in text or "button" in text:
        return s.stereo(_click(n, rate, rng, 0.6, 0.008) + 0.3 * _thump(n, rate, 2000, 1200, 0.03, 0.005))
    base = ctx.vary(880 * (1.3 if tr.brightness > 0.6 else 1.0), 0.1)
    if "error" in text or "fail" in text or "alarm" in text:
        notes = [base * 0.5, base * 0.5 * 0.84] if "alarm" not in text else [base, base * 0.75] * 3
    elif "success" in text or "coin" in text or "power" in text or "level up" in text:
        notes = [base, base * 1.26, base * 1.5, base * 2]
    else:
        notes = [base] * (tr.count or 1) if tr.count else [base, base * 1.5]
    step = 0.11 if len(notes) > 2 else 0.16
    for i, f in enumerate(notes):
        m = int(0.25 * rate)
        tone = s.osc(f, m, "sine", rate) + 0.2 * s.osc(2 * f, m, "sine", rate)
        if "alarm" in text or "error" in text:
            tone = s.osc(f, m, "square", rate) * 0.4
        s.place(out, tone * s.env_ad(m, 0.003, 0.2, rate), int(i * step * rate))
    return s.stereo(out)


def bell(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros(n)
    count = tr.count or 1
    base = ctx.vary(520 * _size_pitch(tr) * (0.5 if "church" in ctx.text or "gong" in ctx.text else 1), 0.1)
    ratios = (0.5, 1.0, 1.19, 1.56, 2.0, 2.51, 2.66, 3.01)
    for i in range(count):
        m = n - int(i * 0.9 * rate)
        if m <= 0:
            break
        dec = ctx.vary(3.0 + 3 * tr.size, 0.2)
        strike = s.modal([base * r for r in ratios], [dec * (1.4 if r < 1 else 1 / r ** 0.5) for r in ratios],
                         [0.6, 1, .5, .4, .3, .2, .15, .1], m, rate, rng)
        s.place(out, strike, int(i * 0.9 * rate))
    return s.pan(out, 0.0) + s.pan(s.lowpass(out, 2000, rate) * 0.2, 0.3)


def laser(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate = ctx.rate
    out = np.zeros(n)
    count = tr.count or 1
    for i in range(count):
        m = min(n, int(ctx.vary(0.35, 0.2) * rate))
        tt = np.linspace(0, 1, m)
        f = ctx.vary(2400, 0.2) * np.exp(-3.0 * tt) + 120
        x = s.osc(f * (1 + 0.3 * np.sin(2 * np.pi * 60 * tt)), m, "square", rate) * (1 - tt) ** 2
        s.place(out, x * 0.5, int(i * 0.22 * rate))
    return s.pan(out, 0.0)


def heartbeat(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate = ctx.rate
    bpm = ctx.vary(68 * tr.speed * (1.6 if tr.mood == "tense" or "pound" in ctx.text else 1), 0.1)
    out = np.zeros(n)
    t = 0.1
    while t < n / rate:
        for dt, a in ((0, 1.0), (0.28, 0.6)):
            m = int(0.25 * rate)
            s.place(out, _thump(m, rate, 75, 42, 0.18, 0.02) * a, int((t + dt) * rate), circular=ctx.loop)
        t += 60 / bpm
    return s.stereo(s.lowpass(out, 300, rate))


def clock(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros(n)
    period = 60 / ctx.tempo if "metronome" in ctx.text and ctx.tempo else 1.0 / tr.speed
    t, i = 0.05, 0
    while t < n / rate:
        m = int(0.05 * rate)
        tick = s.modal([ctx.vary(3100 if i % 2 == 0 else 2500, 0.05), 5200], [0.03, 0.02], [1, 0.4], m, rate, rng)
        s.place(out, tick * 0.6 + _click(m, rate, rng, 0.8, 0.004) * 0.2, int(t * rate), circular=ctx.loop)
        t += period
        i += 1
    return s.stereo(out)


def typing(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    out = np.zeros((n, 2))
    t = 0.05
    typewriter = "typewriter" in ctx.text
    while t < n / rate - 0.05:
        m = int(0.06 * rate)
        key = _click(m, rate, rng, 0.5, 0.01) + 0.5 * s.modal([rng.uniform(1800, 3200)], [0.03], [1], m, rate, rng)
        if typewriter:
            key += 0.6 * _thump(m, rate, 300, 150, 0.04, 0.01)
        buf = np.zeros(n)
        s.place(buf, key * rng.uniform(0.5, 1.0), int(t * rate), circular=ctx.loop)
        out += s.pan(buf, rng.uniform(-0.3, 0.3))
        t += rng.exponential(0.13 / tr.speed) + 0.04
    return out


# ------------------------------------------------------------------------------ tonal
def drone(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    root = 55.0 * 2 ** (((ctx.key_root if ctx.key_root is not None else 9) - 9) / 12)
    root = ctx.vary(root * (0.5 if tr.brightness < 0.4 else 1), 0.05)
    intervals = [0, 7, 12] + ([1, 6] if tr.mood == "eerie" else [3] if ctx.minor or tr.mood in ("sad", "tense")
                               else [4])
    out = np.zeros((n, 2))
    lfo = s.smooth_random(n, rng, ctx.vary(0.15, 0.3), rate)
    for k, iv in enumerate(intervals):
        f = root * 2 ** (iv / 12)
        for ch in range(2):
            x = s.supersaw(f, n, rng, 3, 0.006)
            out[:, ch] += x / (1 + 0.6 * k)
    cutoff = ctx.vary(400, 0.3) * (1 + 0.8 * lfo) * (0.6 + tr.brightness)
    out = np.stack([s.tilt_lowpass(out[:, c], cutoff, rate) for c in range(2)], axis=1)
    air = s.bandpass(s.noise(n, rng, "pink"), 800, 4000, rate) * (0.5 + 0.5 * lfo) * 0.15
    out += s.stereo(air)
    return out


def braam(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    root = ctx.vary(43.65 * 2 ** (((ctx.key_root if ctx.key_root is not None else 5) - 5) / 12), 0.05)
    dur = min(n / rate, ctx.vary(4.5, 0.15))
    m = int(dur * rate)
    env = s.env_ad(m, 0.04, dur, rate, curve=4.5)
    out = np.zeros((n, 2))
    for ch in range(2):
        x = sum(s.supersaw(root * r, m, rng, 5, 0.01) * a for r, a in ((1, 1.0), (2, 0.7), (3, 0.25), (4, 0.2)))
        cutoff = 180 + ctx.vary(2600, 0.2) * np.exp(-s.seconds(m, rate) / 0.6) + 400 * env
        y = s.drive(s.tilt_lowpass(x, cutoff, rate) * env, 0.6)
        out[:m, ch] += y
    sub = _thump(m, rate, 90, root, dur * 0.6, drop=0.1)
    out[:m] += s.stereo(sub) * 0.8
    return out


def music(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    from polyvox.engines.sfx.music import render_music

    return render_music(n, tr, ctx)


def abstract(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    """Nothing recognised: a texture whose colour and motion come from the prompt's words."""
    rate, rng = ctx.rate, ctx.rng
    h = sum(ord(c) * (i + 1) for i, c in enumerate(ctx.text)) % 997
    centre = 200 * 2 ** (h % 50 / 8) * (1 + 0.5 * s.smooth_random(n, rng, 0.5 + h % 5, rate))
    x = s.sweep_filter(s.noise(n, rng, "pink"), centre, 0.5 + (h % 7) / 6, rate)
    tone = s.osc(centre / 2, n, "triangle", rate) * 0.2
    env = s.env_points(n, [(0, 0), (0.15, 1), (0.7, 0.8), (1, 0)])
    return s.pan((x + tone) * env, s.smooth_random(n, rng, 0.3, rate) * 0.5)


def ambience(n: int, tr: Traits, ctx: Ctx) -> np.ndarray:
    rate, rng = ctx.rate, ctx.rng
    sub = tr.subtype
    out = np.stack([s.lowpass(s.noise(n, rng, "pink"), 1200, rate) for _ in range(2)], axis=1) * 0.15
    if sub == "forest":
        out += wind(n, Traits(intensity=0.2, brightness=0.6), ctx) * 0.4
        out += birds(n, tr, ctx)
    elif sub == "city":
        for _ in range(int(ctx.vary(4, 0.3))):
            at = rng.uniform(0, n / rate)
            m = int(rng.uniform(3, 7) * rate)
            car = s.lowpass(s.noise(m, rng, "brown"), 900, rate) * np.sin(np.linspace(0, np.pi, m)) ** 2
            buf = np.zeros(n)
            s.place(buf, car * 0.8, int((at - m / rate / 2) * rate), circular=ctx.loop)
            out += s.pan(buf, np.clip(rng.uniform(-1, 1), -0.8, 0.8))
        out += np.stack([s.lowpass(s.noise(n, rng, "brown"), 200, rate) for _ in range(2)], axis=1) * 0.6
    elif sub == "ocean":
        for ch in range(2):
            t = s.seconds(n, rate)
            period = ctx.vary(7.0, 0.2)
            swell = (0.5 + 0.5 * np.sin(2 * np.pi * t / period + ch * 0.7 + rng.random())) ** 3
            x = s.tilt_lowpass(s.noise(n, rng, "pink"), 300 + 3500 * swell, rate) * (0.2 + swell)
            out[:, ch] += x
    elif sub == "crowd":
        for _ in range(int(ctx.vary(10, 0.2))):
            src = s.noise(n, rng, "pink")
            f1, f2 = rng.uniform(300, 800), rng.uniform(900, 2400)
            voice = s.resonator(src, f1, 5, rate) + 0.6 * s.resonator(src, f2, 7, rate)
            syl = np.clip(s.smooth_random(n, rng, rng.uniform(3, 6), rate), 0, 1) ** 1.5
            out += s.pan(voice * syl * 0.3, rng.uniform(-0.8, 0.8))
    elif sub == "night":
        t = s.seconds(n, rate)
        for _ in range(int(ctx.vary(3, 0.3))):
            f = rng.uniform(3800, 5200)
            chirp_rate = rng.uniform(12, 20)
            gate = (np.sin(2 * np.pi * chirp_rate * t + rng.random() * 6) > 0.6).astype(float)
            gate *= (np.sin(2 * np.pi * rng.uniform(0.3, 0.7) * t + rng.random() * 6) > 0).astype(float)
            out += s.pan(s.osc(f, n, "sine", rate) * s.lowpass(gate, 200, rate) * 0.12, rng.uniform(-0.8, 0.8))
    elif sub == "space":
        out += drone(n, Traits(brightness=0.3, mood=tr.mood), ctx) * 0.3
        out += np.stack([s.bandpass(s.noise(n, rng, "pink"), 60, 300, rate) for _ in range(2)], axis=1) * 0.8
    else:
        out += np.stack([s.bandpass(s.noise(n, rng, "brown"), 40, 500, rate) for _ in range(2)], axis=1) * 0.5
        out += wind(n, Traits(intensity=0.2, brightness=0.4), ctx) * 0.2
    return out


RENDERERS: dict[str, Renderer] = {
    "impact": impact, "explosion": explosion, "gunshot": gunshot, "glass": glass, "whoosh": whoosh, "riser": riser,
    "footsteps": footsteps, "rain": rain, "thunder": thunder, "wind": wind, "water": water, "fire": fire,
    "birds": birds, "dog": dog, "engine": engine, "door": door, "glitch": glitch, "beep": beep, "bell": bell,
    "laser": laser, "heartbeat": heartbeat, "clock": clock, "typing": typing, "drone": drone, "braam": braam,
    "music": music, "ambience": ambience, "abstract": abstract,
}

__all__ = ["RENDERERS", "Ctx", "Renderer"]
