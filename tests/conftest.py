"""Shared fixtures: data paths, and one live polyvox server (real uvicorn, real engines)."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POLYVOX_SHARED", REPO.parent / "shared"))
TESTDATA = Path(os.environ.get("POLYVOX_TESTDATA", SHARED / "testdata"))
ADMIN_KEY = "sk_test_admin_0123456789"


def kokoro_voices_dir() -> Path | None:
    """Voice packs installed by `polyvox setup` into the repo's data folder, else shared/models."""
    for candidate in (os.environ.get("POLYVOX_TEST_KOKORO_VOICES"), REPO / "data" / "models" / "kokoro-voices",
                      SHARED / "models" / "kokoro-v1.0-voices"):
        if candidate and Path(candidate).is_dir() and any(Path(candidate).glob("af_heart.bin")):
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def voices_dir() -> Path:
    d = kokoro_voices_dir()
    if d is None:
        pytest.skip("Kokoro voice packs not found: run `polyvox setup` or set POLYVOX_TEST_KOKORO_VOICES")
    return d


@pytest.fixture(scope="session")
def testdata() -> Path:
    if not TESTDATA.is_dir():
        pytest.skip(f"test recordings not found at {TESTDATA} (set POLYVOX_TESTDATA)")
    return TESTDATA


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    base_url: str
    admin_key: str
    services: object
    port: int


class _Thread:
    def __init__(self, app, port: int, **ssl) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    ws_ping_interval=None, **ssl))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("polyvox test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def make_settings(tmp: Path, voices: Path, **extra):
    from polyvox.settings import EngineSettings, LimitSettings, Settings

    # the stock voice profiles `polyvox setup` measured (rebuilt into the repo's data folder if missing)
    engines = EngineSettings(kokoro_voices_dir=voices, workers=2, voicelab_dir=REPO / "data" / "models" / "voicelab",
                             clone_generations=2)  # a shorter cloning search: tests check direction, bench closeness
    return Settings(data_dir=tmp, admin_key=ADMIN_KEY, engines=extra.pop("engines", engines),
                    limits=extra.pop("limits", LimitSettings(per_key_concurrency=8, max_queue=64)), **extra)


@pytest.fixture(scope="session")
def services(tmp_path_factory, voices_dir):
    """One set of services (and loaded engines) shared by every live-server test."""
    from polyvox.services.container import Services

    svc = Services.build(make_settings(tmp_path_factory.mktemp("polyvox-data"), voices_dir))
    svc.bootstrap_admin()
    svc.jobs.start()
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def live_server(services) -> LiveServer:
    from polyvox.api.app import create_app

    port = free_port()
    with _Thread(create_app(services.settings, services=services), port):
        yield LiveServer(f"http://127.0.0.1:{port}", ADMIN_KEY, services, port)


@pytest.fixture()
def client(live_server):
    """The official ElevenLabs Python SDK (2.x) pointed at the live server."""
    from elevenlabs.client import ElevenLabs

    return ElevenLabs(api_key=live_server.admin_key, base_url=live_server.base_url, timeout=120)
