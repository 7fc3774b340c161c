#!/usr/bin/env bash
# Installs everything Pressluft needs on a fresh Debian 12 / Ubuntu 24.04 machine:
# system packages, pnpm, the workspace's dependencies and the dashboard build.
# `--test` adds what the test suite needs (Chromium for the browser tests).
# The web stack itself (nginx, PHP-FPM, MariaDB, Redis) is installed by the node_provision job.
set -euo pipefail
cd "$(dirname "$0")/.."

with_test=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1 ;;
    *) echo "usage: scripts/setup.sh [--test]" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "setup: run as root or as a user with passwordless sudo (it installs system packages)." >&2
  exit 1
fi

log() { printf '\n== %s\n' "$*"; }

# apt can be briefly locked or flaky on a fresh machine: retry a few times.
apt_retry() {
  local n
  for n in 1 2 3; do
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive "$@" && return 0
    echo "setup: '$*' failed (try $n of 3), retrying" >&2
    sleep $((n * 5))
  done
  return 1
}

packages=(ansible-core python3 make g++ rsync curl ca-certificates git)
[ "$with_test" -eq 1 ] && packages+=(chromium fonts-liberation)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "Installing system packages: ${missing[*]}"
  apt_retry apt-get update -qq
  apt_retry apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

if ! command -v pnpm >/dev/null; then
  log "Installing pnpm"
  # corepack cannot verify pnpm's signature offline; npm can install it.
  "${as_root[@]}" npm install -g --no-fund --no-audit pnpm@9 >/dev/null
fi

log "Installing the workspace's dependencies"
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3

log "Building the dashboard"
pnpm --filter @pressluft/dashboard build >/dev/null
echo "setup: done."
