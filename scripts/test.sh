#!/usr/bin/env bash
# Runs every test: lint, unit, sandbox, integration and end-to-end suites.
# Prints "N passed, N failed" as its last line and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0

echo "== lint (tsc, eslint, prettier)"
if npm run -s lint; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "lint FAILED"; fi

mkdir -p .tmp
out=.tmp/mocha-output.txt
echo "== mocha"
npx mocha 'test/**/*.test.ts' --exit 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
p=$(grep -Eo '^ *[0-9]+ passing' "$out" | grep -Eo '[0-9]+' | tail -1)
f=$(grep -Eo '^ *[0-9]+ failing' "$out" | grep -Eo '[0-9]+' | tail -1)
p=${p:-0}
f=${f:-0}
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "mocha exited $rc without a failing count"; fi
passed=$((passed + p))
failed=$((failed + f))

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
