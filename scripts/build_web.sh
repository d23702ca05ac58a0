#!/usr/bin/env bash
# Build the browser app (web/) into polyvox/web/dist, which the server serves at /.
# Skips with a warning when npm is missing (the API works without the app).
# Rebuilds only when a source file is newer than the last build (POLYVOX_WEB_REBUILD=1 forces it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dist=polyvox/web/dist/index.html
if ! command -v npm >/dev/null; then
  echo "warning: npm not found: the web app is not built (the API works; install Node.js 20+ for the app)" >&2
  exit 0
fi
if [ -f "$dist" ] && [ "${POLYVOX_WEB_REBUILD:-0}" != 1 ] && [ -d web/node_modules ] \
   && [ -z "$(find web/src web/index.html web/public web/package.json web/package-lock.json web/vite.config.ts -newer "$dist" -print -quit)" ]; then
  exit 0
fi
cd web
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build >/dev/null
echo "web app built into polyvox/web/dist"
