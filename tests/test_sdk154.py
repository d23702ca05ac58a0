"""The official Python SDK 1.54 (installed apart from 2.x, in .sdk154/) against the live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SDK_DIR = Path(os.environ.get("POLYVOX_SDK154", Path(__file__).resolve().parents[1] / ".sdk154"))


def test_sdk_154_end_to_end(live_server, testdata):
    if not (SDK_DIR / "elevenlabs").is_dir():
        pytest.skip(f"elevenlabs==1.54.0 not installed in {SDK_DIR} (scripts/test.sh installs it)")
    env = dict(os.environ, PYTHONPATH=str(SDK_DIR))
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("sdk154_client.py")), live_server.base_url,
                          live_server.admin_key, *map(str, sorted((testdata / "speaker_sets/vcc2016/SM1").glob("*.wav"))[:8])],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["convert_bytes"] > 5000 and r["stream_bytes"] > 10000
    assert r["alignment_chars"] == "Timed words."
    assert r["stream_ts_chunks"] >= 1
    assert r["voices"] >= 90 and r["voice_name"] == "Adam"
    assert r["default_settings"]["stability"] == 0.5
    assert r["edited_stability"] == 0.9
    assert "eleven_multilingual_v2" in r["models"]
    assert r["subscription_chars"] > 0 and r["history"] >= 1 and r["history_audio"] > 1000
    assert r["cloned_category"] == "cloned" and r["cloned_tts_bytes"] > 5000
