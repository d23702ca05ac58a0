"""Voice-isolation engines: DeepFilterNet3 (default, from PyPI), GTCRN and DTLN (ONNX files a user adds).

``ENGINES`` is the registry as data: name -> how to build the engine from a models folder.
Importing this package loads no model and imports no runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from polyvox.engines.isolation.base import DenoiseStream, IsolationEngine, IsolationInfo, run_whole


@dataclass(frozen=True)
class EngineSpec:
    name: str
    folder: str | None
    """Sub-folder of the models folder that holds its files (None: weights come in a package)."""
    build: Callable[[Path | None, float, int], IsolationEngine]
    """(model folder, attenuation limit dB, threads) -> unloaded engine."""


def _dfn3(folder: Path | None, atten_lim_db: float, threads: int) -> IsolationEngine:
    from polyvox.engines.isolation.dfn3 import DeepFilterNet3Engine

    custom = None
    if folder is not None and folder.is_dir():
        tars = sorted(folder.glob("*.tar.gz"))
        custom = tars[0] if tars else None
    return DeepFilterNet3Engine(atten_lim_db=atten_lim_db, model_path=custom)


def _gtcrn(folder: Path | None, atten_lim_db: float, threads: int) -> IsolationEngine:
    from polyvox.engines.isolation.onnx_models import GtcrnEngine

    return GtcrnEngine(folder or Path("gtcrn"), threads=threads)


def _dtln(folder: Path | None, atten_lim_db: float, threads: int) -> IsolationEngine:
    from polyvox.engines.isolation.onnx_models import DtlnEngine

    return DtlnEngine(folder or Path("dtln"), threads=threads)


ENGINES: dict[str, EngineSpec] = {
    "dfn3": EngineSpec("dfn3", "deepfilternet", _dfn3),
    "gtcrn": EngineSpec("gtcrn", "gtcrn", _gtcrn),
    "dtln": EngineSpec("dtln", "dtln", _dtln),
}
DEFAULT_ENGINE = "dfn3"


def build_engine(name: str, models_dirs: list[Path], atten_lim_db: float = 18.0, threads: int = 1) -> IsolationEngine:
    """An unloaded engine; its files are looked up in the first of ``models_dirs`` that has its folder."""
    try:
        spec = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown isolation engine {name!r}; known: {', '.join(ENGINES)}") from None
    folder = None
    if spec.folder:
        candidates = [Path(d) / spec.folder for d in models_dirs]
        folder = next((c for c in candidates if c.is_dir()), candidates[0] if candidates else None)
    return spec.build(folder, atten_lim_db, threads)


__all__ = ["DEFAULT_ENGINE", "ENGINES", "DenoiseStream", "EngineSpec", "IsolationEngine", "IsolationInfo",
           "build_engine", "run_whole"]
