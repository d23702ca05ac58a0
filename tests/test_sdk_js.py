"""The official JS SDK (npm `elevenlabs` 1.54.0), run once by node against the live server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).with_name("js")


def test_js_sdk(live_server):
    if shutil.which("node") is None or not (JS / "node_modules" / "elevenlabs").is_dir():
        pytest.skip("node or the npm package elevenlabs@1.54.0 is missing (scripts/test.sh installs it)")
    out = subprocess.run(["node", str(JS / "sdk.mjs"), live_server.base_url, live_server.admin_key],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["convert_bytes"] > 5000
    assert r["voices"] >= 90
    assert "eleven_multilingual_v2" in r["models"]
    assert r["error_status"] == 404
