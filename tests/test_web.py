"""The browser app: how the server serves it, and a real browser driving it against a live server.

The browser test runs ``tests/web/e2e.mjs`` (Playwright's ``playwright-core`` driving Debian's
chromium): sign in, a bad key, streaming speech that plays non-silent audio, a voice setting,
a download, history delete, the voice isolator, and screenshots of every page at 1280x800 and
390x844 into ``artifacts/screenshots/``. It needs the built app (``scripts/build_web.sh``),
``/usr/bin/chromium``, node and ``tests/web/node_modules/playwright-core`` (``scripts/test.sh``
installs all of them) and skips, saying which is missing, without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from polyvox.web.serve import is_reserved, mount

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "polyvox" / "web" / "dist"
E2E = REPO / "tests" / "web" / "e2e.mjs"
ARTIFACTS = REPO / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


# ------------------------------------------------------------------ serving (no browser needed)

@pytest.fixture()
def fake_dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>")
    (tmp_path / "assets" / "app-1234.js").write_text("console.log('app')")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    (tmp_path.parent / "secret.txt").write_text("not for the web")
    return tmp_path


@pytest.fixture()
def web_client(fake_dist: Path) -> TestClient:
    from polyvox.api import errors

    app = FastAPI()
    errors.install(app)

    @app.get("/v1/things")
    def things() -> dict:
        return {"things": []}

    @app.post("/v1/upload")
    def upload() -> dict:
        return {"ok": True}

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    mount(app, fake_dist)
    return TestClient(app)


def test_app_paths_get_index_html(web_client: TestClient) -> None:
    for path in ("/", "/speech", "/voices", "/history", "/settings/keys", "/voice-isolator"):
        r = web_client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert "<title>app</title>" in r.text
        assert r.headers["cache-control"] == "no-cache"


def test_assets_are_served_and_cached(web_client: TestClient) -> None:
    r = web_client.get("/assets/app-1234.js")
    assert r.status_code == 200 and "console.log" in r.text
    assert r.headers["content-type"].startswith("text/javascript")
    assert "immutable" in r.headers["cache-control"]
    assert web_client.get("/favicon.svg").headers["content-type"].startswith("image/svg+xml")
    # a missing asset is a 404, not the app
    assert web_client.get("/assets/old-bundle.js").status_code == 404
    assert web_client.get("/missing.js").status_code == 404


def test_api_paths_are_never_shadowed(web_client: TestClient) -> None:
    assert web_client.get("/v1/things").json() == {"things": []}
    assert web_client.get("/health").json() == {"status": "ok"}
    r = web_client.get("/v1/unknown")
    assert r.status_code == 404 and r.json()["detail"]["status"] == "not_found"
    assert web_client.get("/v2/unknown").status_code == 404
    assert web_client.get("/v1").status_code == 404
    # the app's route answers GET/HEAD only, so an API 404 stays a 404 (not a 405) for other methods
    assert web_client.post("/v1/unknown").status_code == 404
    assert web_client.options("/v1/audio-isolation").status_code == 404
    assert web_client.post("/speech").status_code == 404
    assert web_client.get("/v1/upload").status_code == 405  # a real API route keeps its own 405
    assert web_client.get("/openapi.json").json()["paths"].keys() >= {"/v1/things", "/health"}
    assert web_client.get("/docs").status_code == 200


def test_no_path_escapes_dist(web_client: TestClient) -> None:
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"):
        r = web_client.get(path)
        assert "not for the web" not in r.text, path


def test_reserved_prefixes() -> None:
    assert is_reserved("/v1/voices") and is_reserved("/v2/voices") and is_reserved("/docs")
    assert is_reserved("/openapi.json") and is_reserved("/health") and is_reserved("/docs/oauth2-redirect")
    assert not is_reserved("/voices") and not is_reserved("/speech") and not is_reserved("/")


def test_gzip_twin_is_sent_when_accepted(fake_dist: Path) -> None:
    import gzip

    body = "x = 1;\n" * 500
    (fake_dist / "assets" / "big-1.js").write_text(body)
    (fake_dist / "assets" / "big-1.js.gz").write_bytes(gzip.compress(body.encode()))
    app = FastAPI()
    mount(app, fake_dist)
    client = TestClient(app)
    r = client.get("/assets/big-1.js", headers={"accept-encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip" and r.text == body  # httpx decodes it
    r = client.get("/assets/big-1.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in r.headers and r.text == body


# ------------------------------------------------------------------ the real app in a real browser

def _browser_missing() -> str | None:
    if not (DIST / "index.html").is_file():
        return "the web app is not built (polyvox/web/dist/index.html): run scripts/build_web.sh (needs npm)"
    if not Path(CHROMIUM).exists():
        return f"chromium not found at {CHROMIUM}: apt-get install chromium (scripts/test.sh does)"
    if shutil.which("node") is None:
        return "node not found"
    if not (REPO / "tests" / "web" / "node_modules" / "playwright-core").is_dir():
        return "playwright-core not installed: (cd tests/web && npm ci) (scripts/test.sh does)"
    return None


def test_live_server_serves_the_app(live_server) -> None:
    import httpx

    if not (DIST / "index.html").is_file():
        pytest.skip("the web app is not built (polyvox/web/dist/index.html): run scripts/build_web.sh")
    r = httpx.get(live_server.base_url + "/history")
    assert r.status_code == 200 and '<div id="app">' in r.text
    assert httpx.get(live_server.base_url + "/v1/models").status_code in (200, 401)


def test_browser_e2e(live_server) -> None:
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    env = {**os.environ, "CHROMIUM": CHROMIUM}
    proc = subprocess.run(
        ["node", str(E2E), live_server.base_url, live_server.admin_key, str(ARTIFACTS)],
        capture_output=True, text=True, timeout=300, env=env, cwd=REPO,
    )
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.startswith("{")]
    assert lines, f"the browser test printed no report (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
    report = json.loads(lines[-1])
    failed = [f"{c['name']}: {c['detail']}" for c in report["checks"] if not c["ok"]]
    assert not failed and report["ok"] and proc.returncode == 0, "browser checks failed:\n" + "\n".join(failed) \
        + f"\n--- log ---\n{proc.stderr[-3000:]}"
    names = {c["name"] for c in report["checks"]}
    assert {"bad key shows an error", "generated audio is not silent", "audio element plays",
            "voice setting changed and saved", "download an mp3 file", "history item deleted"} <= names
    assert any(n.startswith("isolator") for n in names)
    shots = {Path(p).name for p in report["screenshots"]}
    for page in ("speech", "voices", "voice-changer", "sound-effects", "voice-isolator", "speech-to-text",
                 "history", "pronunciation", "settings"):
        assert {f"desktop-{page}.png", f"phone-{page}.png"} <= shots, page
    assert all((ARTIFACTS / "screenshots" / s).is_file() for s in shots)
    assert report["seconds"] < 150, f"the browser test took {report['seconds']} s"
