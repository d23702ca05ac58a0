#!/usr/bin/env bash
# Set everything up and run the server on 127.0.0.1:8000 (embedded engines, SQLite, ./data).
set -euo pipefail
source "$(dirname "$0")/_env.sh"
exec .venv/bin/polyvox serve --host "${POLYVOX_HOST:-127.0.0.1}" --port "${POLYVOX_PORT:-8000}"
