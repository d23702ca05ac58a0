"""Kokoro's style space: the 54 stock styles, their spread, and a coordinate system over it.

A Kokoro voice is a [510, 256] table (one style vector per input length). Made voices
live in the space the stock tables span and a little beyond it:

    table = mean + alpha * sum_i w_i (stock_i - mean) + std * sum_j c_j pc_j

``w`` are blend weights (non-negative, summing to 1) over some stock voices, ``alpha``
pushes the blend away from (>1) or towards (<1) the average voice, and ``c`` moves along
the principal directions of the stock styles (in units of their per-dimension spread),
which reaches voices no blend gives. ``Point`` is one such coordinate; ``compose`` turns
it into a table.

``StockProfiles`` holds what each stock voice sounds like (``analysis.VoiceProfile`` of
a fixed probe text), computed once per model and voice set and cached on disk, so a clone
can rank all 54 voices without synthesizing them.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from polyvox.audio import dsp
from polyvox.engines.tts.base import SynthesisRequest
from polyvox.voicelab import analysis

logger = logging.getLogger(__name__)

PROBE_TEXT = "Have you ever watched the sun rise over the hills? It was quiet, warm and golden."
"""Rendered by every candidate voice: voiced and unvoiced sounds, a question and a statement."""
N_PCS = 8
_CACHE_VERSION = "1"


@dataclass(frozen=True)
class Point:
    weights: dict[str, float]
    alpha: float = 1.0
    pcs: tuple[float, ...] = field(default=())

    def describe(self) -> str:
        blend = "+".join(f"{k}:{v:.2f}" for k, v in sorted(self.weights.items(), key=lambda kv: -kv[1]) if v > 0.005)
        extra = f" alpha={self.alpha:.2f}" if abs(self.alpha - 1) > 1e-3 else ""
        if any(abs(c) > 1e-3 for c in self.pcs):
            extra += " pcs=[" + ",".join(f"{c:+.2f}" for c in self.pcs) + "]"
        return blend + extra


class StyleSpace:
    def __init__(self, stock: dict[str, np.ndarray]) -> None:
        self.names = sorted(stock)
        self.tables = np.stack([np.asarray(stock[n], dtype=np.float32) for n in self.names])  # [V, 510, 256]
        self.mean = self.tables.mean(axis=0)
        self.std = self.tables.std(axis=0) + 1e-6
        dev = ((self.tables - self.mean) / self.std).reshape(len(self.names), -1)
        _, sv, vt = np.linalg.svd(dev.astype(np.float64), full_matrices=False)
        k = min(N_PCS, vt.shape[0])
        # unit-variance directions: a coefficient of 1 is one stock-typical step along the PC
        self.pcs = (vt[:k] * (sv[:k, None] / np.sqrt(len(self.names)))).reshape(k, *self.mean.shape).astype(np.float32)
        self._index = {n: i for i, n in enumerate(self.names)}

    def compose(self, p: Point) -> np.ndarray:
        dev = np.zeros_like(self.mean)
        total = sum(max(0.0, w) for w in p.weights.values()) or 1.0
        for name, w in p.weights.items():
            if w > 0:
                dev += (w / total) * (self.tables[self._index[name]] - self.mean)
        table = self.mean + p.alpha * dev
        for c, pc in zip(p.pcs, self.pcs):
            table = table + c * pc * self.std
        return table.astype(np.float32)


def render(engine, table_or_asset, text: str, language: str = "en", english: str = "en-us", speed: float = 1.0,
           fx=None) -> np.ndarray:
    """16 kHz speech of ``text`` in an unsaved Kokoro voice (a table or a ``KokoroVoiceAsset``)."""
    from polyvox.engines.tts.kokoro_custom import KokoroVoiceAsset
    from polyvox.engines.tts.voice_fx import VoiceFX

    asset = table_or_asset if isinstance(table_or_asset, KokoroVoiceAsset) else KokoroVoiceAsset(
        style=table_or_asset, speed=speed, fx=fx or VoiceFX(), english=english)
    syn = engine.synthesize(SynthesisRequest(text=text, voice="custom:unsaved", language=language), asset=asset)
    return dsp.resample(syn.audio, syn.sample_rate, analysis.RATE)


class StockProfiles:
    """``analysis.VoiceProfile`` of every stock voice speaking ``PROBE_TEXT`` (cached on disk)."""

    def __init__(self, names: list[str], profiles: list[analysis.VoiceProfile]) -> None:
        self.names = names
        self.profiles = profiles
        self.embeddings = np.stack([p.embedding for p in profiles])

    def ranked(self, target: np.ndarray) -> list[tuple[str, float]]:
        sims = self.embeddings @ target
        order = np.argsort(-sims)
        return [(self.names[i], float(sims[i])) for i in order]

    def get(self, name: str) -> analysis.VoiceProfile:
        return self.profiles[self.names.index(name)]

    @classmethod
    def load_or_build(cls, engine, space: StyleSpace, embedder, cache_dir: Path | None) -> StockProfiles:
        key = hashlib.sha256(("|".join([_CACHE_VERSION, PROBE_TEXT, Path(str(engine.model_path)).name, *space.names])
                              + str(float(space.mean.sum()))).encode()).hexdigest()[:16]
        path = Path(cache_dir) / f"kokoro-stock-profiles-{key}.npz" if cache_dir else None
        if path is not None and path.is_file():
            try:
                z = np.load(path)
                profiles = [analysis.VoiceProfile(embedding=z["embedding"][i], f0_median=float(z["f0"][i, 0]),
                                                  f0_p10=float(z["f0"][i, 1]), f0_p90=float(z["f0"][i, 2]),
                                                  rate=float(z["rate"][i]), tilt=float(z["tilt"][i]),
                                                  seconds=float(z["seconds"][i])) for i in range(len(space.names))]
                return cls(list(space.names), profiles)
            except (OSError, KeyError, ValueError, IndexError) as e:
                logger.warning("rebuilding stock voice profiles (%s)", e)
        profiles = []
        for name in space.names:
            english = "en-gb" if name.startswith("b") else "en-us"
            x = render(engine, space.tables[space.names.index(name)], PROBE_TEXT, english=english)
            profiles.append(analysis.profile(x, embedder))
        out = cls(list(space.names), profiles)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, embedding=out.embeddings,
                     f0=np.array([[p.f0_median, p.f0_p10, p.f0_p90] for p in profiles]),
                     rate=np.array([p.rate for p in profiles]), tilt=np.array([p.tilt for p in profiles]),
                     seconds=np.array([p.seconds for p in profiles]))
            tmp.replace(path)
        return out


__all__ = ["N_PCS", "PROBE_TEXT", "Point", "StockProfiles", "StyleSpace", "render"]
