"""The embedded sound-effects engine: a procedural sound designer driven by the prompt.

No text-to-audio model ships offline, so sounds are designed, not sampled: the prompt is
parsed into steps and layers (``prompt.py``), each layer is synthesised by a recipe for
its kind (``sources.py``, ``music.py``: modal synthesis for struck objects, filtered and
swept noise for air and water, granular impulse clouds for rain, gravel and fire,
pulse-train engines, stick-slip creaks, detuned-saw braams and drones, drum machines and
chords on a tempo grid), and the layers are mixed with distance (level, low-pass, more
room), a convolution reverb sized by the space the prompt names, equal-power stereo
placement, a loudness target and a stereo-linked look-ahead limiter.

Timing: a sequence ("X, then Y") gets each step at its natural length scaled to the
requested duration, one-shots ring on under what follows; the output is exactly the
requested number of samples. Without a duration, one is chosen from the steps' natural
lengths (and whole bars for music), capped at 22 s.

Loops: music is laid out on whole bars with note tails wrapped around to the start;
everything else is rendered past the end and the overhang cross-faded (equal power) into
the beginning; reverb tails wrap too. The last sample then runs into the first without a
step (``dsp.detect_click`` on the seam stays at the level of the material itself).

``prompt_influence`` (ElevenLabs' knob): the amount of seeded variation is
``1 - prompt_influence``. At 1 the seed is derived from the prompt, so the same prompt always
gives the same sound with every designer's choice at its nominal value; lower values draw a
fresh seed per request (unless one is given) and spread every choice around its nominal
value (pitches, sizes, rates, times), and below 0.5 may add an extra sweetener layer.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import warnings

import numpy as np
import pyloudnorm
from scipy import ndimage

from polyvox.engines.sfx import synth as s
from polyvox.engines.sfx.base import MAX_SECONDS, MIN_SECONDS, SfxEngineInfo, SoundEffect, SoundRequest
from polyvox.engines.sfx.prompt import TEXTURES, SoundPlan, Step, parse
from polyvox.engines.sfx.sources import RENDERERS, Ctx

logger = logging.getLogger(__name__)

RATE = s.RATE
_LOOP_XFADE_S = 0.35
_LEVEL = {"ambience": 0.7, "drone": 0.8, "rain": 0.8, "wind": 0.8, "fire": 0.8, "birds": 0.6, "water": 0.8,
          "engine": 0.9, "music": 1.0}
_SPACES = {  # rt60 seconds, wet
    "cathedral": (4.5, 0.55), "cave": (3.0, 0.5), "hall": (2.0, 0.4), "tunnel": (2.5, 0.45),
    "room": (0.6, 0.25), "outdoors": (0.0, 0.0), "underwater": (1.0, 0.3),
}
_KIND_SPACE = {
    "impact": (1.0, 0.2), "explosion": (2.5, 0.25), "braam": (3.0, 0.35), "drone": (3.0, 0.35), "bell": (2.2, 0.3),
    "door": (0.8, 0.25), "footsteps": (0.7, 0.2), "gunshot": (1.8, 0.3), "whoosh": (1.2, 0.2), "riser": (2.0, 0.3),
    "laser": (0.8, 0.2), "glitch": (0.4, 0.1), "music": (1.2, 0.12), "dog": (0.8, 0.15), "beep": (0.5, 0.1),
    "glass": (1.0, 0.2), "heartbeat": (0.3, 0.05), "clock": (0.5, 0.15), "typing": (0.4, 0.1),
}
TARGET_LUFS = -18.0
TEXTURE_LUFS = -21.0


class ProceduralSfx:
    """Prompt -> stereo 44.1 kHz sound (see module docstring)."""

    def __init__(self) -> None:
        self.info = SfxEngineInfo(name="procedural", sample_rate=RATE, channels=2, max_seconds=MAX_SECONDS,
                                  loops=True, auto_duration=True, deterministic=True)

    def load(self) -> None:
        """Nothing to load: the sound designer is code."""

    # ---------------------------------------------------------------------- planning
    @staticmethod
    def auto_duration(plan: SoundPlan) -> float:
        if plan.stated_seconds:
            return float(np.clip(plan.stated_seconds, MIN_SECONDS, MAX_SECONDS))
        if any("music" in st.kinds for st in plan.steps) and plan.tempo:
            bar = 4 * 60 / plan.tempo
            bars = 4 if 4 * bar <= MAX_SECONDS else 2 if 2 * bar <= MAX_SECONDS else 1
            return float(np.clip(bars * bar, MIN_SECONDS, MAX_SECONDS))
        total = plan.natural_seconds
        if plan.loop:
            total = max(total, 4.0)
        return float(np.clip(total, MIN_SECONDS, MAX_SECONDS))

    # ---------------------------------------------------------------------- rendering
    def generate(self, request: SoundRequest) -> SoundEffect:
        text = (request.text or "").strip()
        if not text:
            raise ValueError("the prompt is empty")
        influence = float(np.clip(request.prompt_influence, 0.0, 1.0))
        variation = 1.0 - influence
        plan = parse(text)
        loop = bool(request.loop or plan.loop)
        plan.loop = loop
        duration = request.duration if request.duration is not None else self.auto_duration(plan)
        if not MIN_SECONDS <= duration <= self.info.max_seconds:
            raise ValueError(f"duration must be between {MIN_SECONDS} and {self.info.max_seconds} seconds")
        if request.seed is not None:
            seed = int(request.seed)
        elif influence >= 0.999:
            seed = int.from_bytes(hashlib.sha256(text.lower().encode()).digest()[:8], "little")
        else:
            seed = secrets.randbits(63)
        rng = np.random.default_rng(seed)
        n = round(duration * RATE)
        single = len(plan.steps) == 1
        # loops: one step -> each layer is made seamless on its own; a sequence -> the mix is
        extra = int(_LOOP_XFADE_S * RATE) if loop else 0
        ctx = Ctx(rng=rng, variation=variation, rate=RATE, loop=False, tempo=plan.tempo, key_root=plan.key_root,
                  minor=plan.minor, genre=plan.genre, text=text.lower())
        mix = np.zeros((n + (0 if single else extra), 2))
        starts = self._schedule(plan.steps, n)
        layers_desc = []
        for idx, (step, start) in enumerate(zip(plan.steps, starts)):
            end = starts[idx + 1] if idx + 1 < len(plan.steps) else n
            kinds = list(step.kinds)
            if variation > 0.5 and ctx.chance(0.5):
                kinds += _sweetener(kinds)
            for kind in kinds:
                is_texture = kind in TEXTURES
                last = idx + 1 == len(plan.steps)
                span_end = (n + extra) if (not is_texture or last) else end
                length = max(1, span_end - start)
                wraps = loop and single and kind in ("music", "footsteps", "heartbeat", "clock", "typing")
                if wraps:
                    length = n
                ctx.loop = wraps
                ctx.text = step.text.lower()
                layer = RENDERERS[kind](length, step.traits, ctx)
                layer = self._finish_layer(layer, kind, step, ctx)
                if loop and single and not wraps:
                    layer = _fold_loop(layer, n, extra)
                elif is_texture and not last:
                    layer = s.fade_edges(layer, RATE, 20.0, 60.0)
                level = _LEVEL.get(kind, 1.0) * (0.35 if kind not in step.kinds else 1.0)
                s.place(mix, layer * level, start)
                layers_desc.append({"kind": kind, "start": round(start / RATE, 3),
                                    "seconds": round(length / RATE, 3)})
        space = self._space(plan)
        mix = s.reverb(mix, space[0], space[1], rng, RATE, brightness=plan.steps[0].traits.brightness,
                       circular=loop)
        mix = _circular(lambda v: s.highpass(v, 25.0, RATE, 2), mix) if loop else s.highpass(mix, 25.0, RATE, 2)
        if loop and not single:
            mix = _fold_loop(mix, n, extra)
        mix = mix[:n]
        texture = all(k in TEXTURES for k in plan.kinds)
        mix = _master(mix, TEXTURE_LUFS if texture else TARGET_LUFS)
        if not loop:
            mix = s.fade_edges(mix, RATE, 2.0, 15.0 if duration > 0.2 else 3.0)
        desc = {"engine": "procedural", "seed": seed, "loop": loop, "duration": round(n / RATE, 4),
                "steps": [{"text": st.text, "kinds": st.kinds} for st in plan.steps], "layers": layers_desc,
                "tempo": plan.tempo, "key_root": plan.key_root, "minor": plan.minor, "genre": plan.genre,
                "reverb": {"rt60": space[0], "wet": space[1]}}
        return SoundEffect(np.ascontiguousarray(mix, dtype=np.float32), RATE, desc)

    @staticmethod
    def _schedule(steps: list[Step], n: int) -> list[int]:
        """Start sample of each step: natural lengths scaled to fill ``n``."""
        nat = np.array([max(0.2, st.seconds) for st in steps])
        share = nat / nat.sum()
        return [round(x) for x in np.concatenate([[0.0], np.cumsum(share)[:-1]]) * n]

    @staticmethod
    def _finish_layer(layer: np.ndarray, kind: str, step: Step, ctx: Ctx) -> np.ndarray:
        x = s.stereo(np.asarray(layer, dtype=np.float64))
        x = np.nan_to_num(x)
        peak = float(np.max(np.abs(x))) if x.size else 0.0
        if peak > 0:
            x = x / peak
        tr = step.traits
        if tr.distance > 0.3:
            x = s.lowpass(x, 6000 - 4500 * tr.distance, RATE, 2) * (1 - 0.5 * tr.distance)
        if tr.space == "underwater":
            x = s.lowpass(x, 700, RATE, 2)
        return x * (0.5 + 0.5 * tr.intensity) if kind not in ("music",) else x

    @staticmethod
    def _space(plan: SoundPlan) -> tuple[float, float]:
        tr = plan.steps[0].traits
        if tr.space in _SPACES:
            rt, wet = _SPACES[tr.space]
        else:
            rt, wet = max((_KIND_SPACE.get(k, (0.0, 0.0)) for k in plan.kinds), key=lambda v: v[1])
        if tr.distance > 0.3:
            wet = min(0.7, wet + 0.25 * tr.distance)
            rt = max(rt, 1.2)
        return rt, wet


def _sweetener(kinds: list[str]) -> list[str]:
    """An extra layer a sound designer might add when given freedom."""
    if any(k in kinds for k in ("impact", "explosion", "door", "gunshot")):
        return ["whoosh"] if "whoosh" not in kinds else []
    if any(k in kinds for k in ("rain", "ambience", "wind")):
        return ["drone"] if "drone" not in kinds else []
    return []


def _circular(fn, x: np.ndarray, pad_s: float = 0.5) -> np.ndarray:
    """Run a causal filter as if the clip repeated forever (no start-up transient at the seam)."""
    k = min(len(x), int(pad_s * RATE))
    return fn(np.concatenate([x[len(x) - k:], x]))[k:]


def _fold_loop(x: np.ndarray, n: int, extra: int) -> np.ndarray:
    """Equal-power cross-fade of the overhang ``x[n:n+extra]`` into the start."""
    k = min(extra, n // 2, len(x) - n)
    if k <= 0:
        return x[:n].copy()
    y = x[:n].copy()
    t = (np.arange(k) + 0.5) / k
    fade_in, fade_out = np.sin(t * np.pi / 2), np.cos(t * np.pi / 2)
    y[:k] = x[:k] * fade_in[:, None] + x[n: n + k] * fade_out[:, None]
    return y


def _master(x: np.ndarray, target_lufs: float, ceiling: float = 0.95) -> np.ndarray:
    """Gain to ``target_lufs`` (BS.1770, stereo), then a stereo-linked look-ahead limiter."""
    if not np.any(x):
        return x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        block = min(0.4, max(0.05, (len(x) / RATE) - 1e-3))
        loud = pyloudnorm.Meter(RATE, block_size=block).integrated_loudness(x)
    if np.isfinite(loud):
        x = x * 10 ** ((target_lufs - loud) / 20)
    peak = np.max(np.abs(x), axis=1)
    if float(np.max(peak)) > ceiling:
        radius = max(1, int(RATE * 0.004))
        need = np.minimum(1.0, ceiling / np.maximum(peak, 1e-12))
        held = ndimage.minimum_filter1d(need, size=4 * radius + 1, mode="wrap")
        gain = ndimage.uniform_filter1d(held, size=2 * radius + 1, mode="wrap")
        x = x * gain[:, None]
    return np.clip(x, -ceiling, ceiling)


__all__ = ["ProceduralSfx", "circular_filter"]

circular_filter = _circular
