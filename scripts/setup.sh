#!/usr/bin/env bash
# Installs everything Pressluft needs on a fresh Debian 12 / Ubuntu 24.04 machine:
# system packages, pnpm, the workspace's dependencies and the dashboard build.
# `--test` adds what the test suite needs: Chromium for the browser tests, ansible-lint, pytest,
# and the packages the tests need unpacked (test/unpacked-packages.json).
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
[ "$with_test" -eq 1 ] && packages+=(chromium fonts-liberation ansible-lint python3-pytest php-cli)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "Installing system packages: ${missing[*]}"
  apt_retry apt-get update -qq
  apt_retry apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Packages the tests need unpacked, never installed (test/unpacked-packages.json: other
# ansible-core versions, WordPress core), each under its own prefix. A failed download stops the setup.
unpack_test_packages() {
  local manifest=test/unpacked-packages.json dir name url sha package suite tmp
  dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dir"])' "$manifest")
  while IFS='|' read -r name url sha package suite; do
    [ -f "$dir/$name/.complete" ] && continue
    log "Unpacking $name for the tests into $dir/$name"
    tmp=$(mktemp -d)
    if [ -n "$url" ]; then
      case $url in
        *://*) curl -fsS --retry 3 -o "$tmp/package.deb" "$url" || { echo "setup: cannot download $url ($name, for the tests)" >&2; return 1; } ;;
        *) cp "$url" "$tmp/package.deb" ;;  # vendored in the repository
      esac
      echo "$sha  $tmp/package.deb" | sha256sum -c --quiet - || { echo "setup: $url does not have the pinned sha256" >&2; return 1; }
    else
      local apt_opts=(-o APT::Sandbox::User=root)
      if [ -n "$suite" ]; then
        # Another Debian suite, with private lists: the machine's own sources stay as they are.
        mkdir -p "$tmp/sources" "$tmp/lists/partial" "$tmp/cache/archives/partial"
        printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$suite" >"$tmp/sources/suite.sources"
        apt_opts+=(-o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$tmp/sources" -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache")
        apt_retry apt-get "${apt_opts[@]}" update -qq || { echo "setup: cannot read Debian $suite's package list" >&2; return 1; }
        package="$package/$suite"
      fi
      (cd "$tmp" && apt-get "${apt_opts[@]}" download -qq "$package" && mv ./*.deb package.deb) || { echo "setup: cannot download $package ($name, for the tests)" >&2; return 1; }
    fi
    "${as_root[@]}" rm -rf "${dir:?}/$name"
    "${as_root[@]}" mkdir -p "$dir/$name"
    "${as_root[@]}" dpkg-deb -x "$tmp/package.deb" "$dir/$name"
    "${as_root[@]}" touch "$dir/$name/.complete"
    rm -rf "$tmp"
  done < <(python3 -c '
import json, sys
for name, p in json.load(open(sys.argv[1]))["packages"].items():
    print("|".join([name] + [p.get(k, "") for k in ("url", "sha256", "apt", "suite")]))
' "$manifest")
}
if [ "$with_test" -eq 1 ]; then unpack_test_packages; fi

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
