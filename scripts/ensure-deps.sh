#!/usr/bin/env bash
# Installs what the tests and the demo need and is missing, idempotently. Safe to run often.
# Usage: scripts/ensure-deps.sh [prometheus] [postgres]   (no argument: all)
set -euo pipefail
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(prometheus postgres)

need_apt=()
for w in "${want[@]}"; do
  case "$w" in
    prometheus) command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus) ;;
    postgres) ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_apt+=(postgresql) ;;
    *) echo "ensure-deps: unknown component '$w' (known: prometheus, postgres)" >&2; exit 2 ;;
  esac
done

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-deps: ${need_apt[*]} missing and not root; install with: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
  echo "ensure-deps: installing ${need_apt[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The Debian package starts its own service; we run our own instances, so stop it (by its unit, not by name-matching).
  if [[ " ${need_apt[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
  fi
fi
