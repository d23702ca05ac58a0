"""Shared pieces of the benchmarks: test texts, statistics, and subprocess servers.

Everything here talks to 127.0.0.1 only, and every wait has a deadline.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POLYVOX_SHARED", REPO.parent / "shared"))

# Harvard sentences (IEEE 1969, public domain), lists 3, 4 and 5: not the ones polyvox.eval uses.
SENTENCES: tuple[str, ...] = (
    "The small pup gnawed a hole in the sock.",
    "The fish twisted and turned on the bent hook.",
    "Press the pants and sew a button on the vest.",
    "The swan dive was far short of perfect.",
    "The beauty of the view stunned the young boy.",
    "Two blue fish swam in the tank.",
    "Her purse was full of useless trash.",
    "The colt reared and threw the tall rider.",
    "It snowed, rained, and hailed the same morning.",
    "Read verse out loud for pleasure.",
    "Hoist the load to your left shoulder.",
    "Take the winding path to reach the lake.",
    "Note closely the size of the gas tank.",
    "Wipe the grease off his dirty face.",
    "Mend the coat before you go out.",
    "The wrist was badly strained and hung limp.",
    "The stray cat gave birth to kittens.",
    "The young girl gave no clear response.",
    "The meal was cooked before the bell rang.",
    "What joy there is in living.",
)

# ~200-character paragraphs for the throughput runs (Harvard lists 6-9), one per concurrent stream.
PARAGRAPHS: tuple[str, ...] = (
    "A king ruled the state in the early days. The ship was torn apart on the sharp reef. "
    "Sickness kept him home the third week. The wide road shimmered in the hot sun. "
    "The pipe began to rust while new.",
    "The lazy cow lay in the cool grass. Lift the square stone over the fence. The rope will bind "
    "the seven books at once. Hop over the fence and plunge in. "
    "Add the sum to the product of these three.",
    "The friendly gang left the drug store. Mesh wire keeps chicks inside. The frosty air passed "
    "through the coat. The crooked maze failed to fool the mouse. Adding fast leads to wrong sums. "
    "The boy owed his pal thirty cents.",
    "The show was a flop from the very start. A saw is a tool used for making boards. The wagon moved "
    "on well oiled wheels. March the soldiers past the next hill. "
    "Bail the boat to stop it from sinking.",
    "A cup of sugar makes sweet fudge. Place a rosebush near the porch steps. Both lost their lives "
    "in the raging storm. We talked of the side show in the circus. "
    "The spot on the blotter was made by green ink.",
    "Use a pencil to write the first draft. He ran half way to the hardware store. The clock struck "
    "to mark the third period. A small creek cut across the field. "
    "Tear a thin sheet from the yellow pad.",
    "Cars and busses stalled in snow drifts. The set of china hit the floor with a crash. This is a "
    "grand season for hikes on the road. The dune rose from the edge of the water. "
    "Ten pins were set in order.",
    "Those words were the cue for the actor to leave. A yacht slid around the point into the bay. "
    "The two met while playing on the sand. The ink stain dried on the finished page. "
    "Open the crate but don't break the glass.",
)


def kokoro_voices_dir() -> Path | None:
    """Voice packs installed by `polyvox setup` into the repo's data folder, else shared/models."""
    for candidate in (os.environ.get("POLYVOX_BENCH_KOKORO_VOICES"), os.environ.get("POLYVOX_TEST_KOKORO_VOICES"),
                      REPO / "data" / "models" / "kokoro-voices", SHARED / "models" / "kokoro-v1.0-voices"):
        if candidate and (Path(candidate) / "af_heart.bin").is_file():
            return Path(candidate)
    return None


# statistics -------------------------------------------------------------------------------
def scratch_services(prefix: str):
    """``(Services, Settings)`` on a throwaway data folder that reuses the repo's Kokoro voice packs
    and voice-lab models (``./data/models``), for benchmarks that drive the services in process."""
    import tempfile

    from polyvox.services.container import Services
    from polyvox.settings import EngineSettings, Settings

    models = REPO / "data" / "models"
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix=prefix)), engines=EngineSettings(
        kokoro_voices_dir=models / "kokoro-voices", voicelab_dir=models / "voicelab"))
    return Services.build(settings), settings


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no values."""
    xs = sorted(v for v in values if v is not None and not math.isnan(v))
    if not xs:
        return None
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100.0
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary_ms(seconds: Sequence[float]) -> dict:
    """p50/p95/mean/min/max of durations given in seconds, reported in milliseconds."""
    ms = [s * 1000.0 for s in seconds if s is not None]
    if not ms:
        return {"n": 0, "p50": None, "p95": None, "mean": None, "min": None, "max": None}
    return {"n": len(ms), "p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1),
            "mean": round(sum(ms) / len(ms), 1), "min": round(min(ms), 1), "max": round(max(ms), 1)}


# processes --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when the benchmark process dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Subprocess:
    """A child process in its own process group, logged to a file, always stopped on ``stop``."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str] | None = None, log: Path,
                 cwd: Path | None = None) -> None:
        self.name, self.argv, self.log_path = name, argv, log
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the child's group, then SIGKILL after ``timeout``; idempotent."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        if not self._log.closed:
            self._log.close()


def wait_http(url: str, proc: Subprocess, deadline_s: float, *, method: str = "GET") -> float:
    """Poll ``url`` until it answers 2xx; returns seconds waited. Raises on timeout or child death."""
    import httpx

    t0 = time.monotonic()
    end = t0 + deadline_s
    while time.monotonic() < end:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited with code {proc.proc.returncode} before it was ready:\n"
                               f"{proc.log_tail()}")
        try:
            r = httpx.request(method, url, timeout=2.0)
            if r.is_success:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{proc.name} was not ready at {url} within {deadline_s:.0f} s:\n{proc.log_tail()}")


def python() -> str:
    return sys.executable


__all__ = ["PARAGRAPHS", "REPO", "SENTENCES", "Subprocess", "free_port", "kokoro_voices_dir", "percentile",
           "python", "summary_ms", "wait_http"]
