#!/usr/bin/env bash
# The demo: a healthy canary promoted and a bad one rolled back, on the sandbox, with real
# Prometheus. Installs what it needs first. Pass --json for a machine-readable summary.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-deps.sh prometheus >&2
exec node --import tsx src/sandbox/demo/main.ts "$@"
