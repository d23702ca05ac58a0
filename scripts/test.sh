#!/usr/bin/env bash
# Set everything up and run the whole test suite.
set -euo pipefail
POLYVOX_EXTRAS=test source "$(dirname "$0")/_env.sh"
# the loaders of user-installed models (kNN-VC, Stable Audio, F5-TTS, Parler-TTS) are tested too, on tiny
# checkpoints: torch from the local CPU wheel, then the `models` extra without letting pip pick another torch
if [ ! -f .venv/.models-installed ] || [ pyproject.toml -nt .venv/.models-installed ]; then
  .venv/bin/python -m pip install -q torch==2.13.0
  .venv/bin/python -m pip install -q -c scripts/torch-constraint.txt -e ".[models,test]"
  # F5-TTS: its declared deps drag gradio & co. and PyPI's torchaudio is a CUDA build (docs/voice-cloning.md)
  .venv/bin/python -m pip install -q --no-deps f5-tts==1.1.22 vocos==0.1.0 encodec==0.1.1 torchaudio==2.11.0
  rm -f "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"/torchaudio/lib/*.so
  touch .venv/.models-installed
fi
# the 1.x SDK is a second copy of the same package: keep it apart from 2.x, on PYTHONPATH only for its test
if [ ! -d .sdk154/elevenlabs ]; then
  .venv/bin/python -m pip install -q --no-deps --target .sdk154 elevenlabs==1.54.0
fi
if command -v npm >/dev/null && [ ! -d tests/js/node_modules/elevenlabs ]; then
  (cd tests/js && npm install --no-audit --no-fund --silent) || echo "warning: JS SDK not installed; its test will skip"
fi
command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) || echo "warning: chromium not installed; the browser test will skip"
if command -v npm >/dev/null && [ ! -d tests/web/node_modules/playwright-core ]; then
  (cd tests/web && npm ci --no-audit --no-fund --silent) || echo "warning: playwright-core not installed; the browser test will skip"
fi
exec .venv/bin/python -m pytest -q "$@"
