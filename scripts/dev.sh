#!/usr/bin/env bash
# One command from a fresh machine to a running `pressluft dev`: set up, then start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec pnpm --silent pressluft dev "$@"
