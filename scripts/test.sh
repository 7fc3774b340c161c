#!/usr/bin/env bash
# The whole test suite, as CI runs it: setup, lint and typecheck, unit tests, then the system
# tests that drive real ansible-playbook, nginx, PHP-FPM, MariaDB and Chromium on this machine.
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --test || { echo "0 passed, 1 failed"; exit 1; }

results=test-artifacts/results
rm -rf "$results" && mkdir -p "$results"
status=0

echo; echo "== Lint and typecheck"
if ! pnpm run --silent lint; then status=1; echo "lint: failed"; fi

run_vitest() {
  local name=$1; shift
  echo; echo "== Tests: $name"
  npx vitest run "$@" --reporter=default --reporter=json --outputFile="$results/$name.json" || status=1
}

run_vitest unit --project shared --project control-plane --project node-agent --project cli --project dashboard
# System tests share one machine's nginx, PHP-FPM and MariaDB: one file at a time.
run_vitest system --project link --project runtime --project e2e --no-file-parallelism

summary=$(node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numTotalTests === 0 ? 1 : 0);
    // A file that failed to load has no failed test of its own: count it once.
    failed += r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
  }
  console.log(passed + " " + failed);
' "$results") || summary="0 1"
read -r passed failed <<<"$summary"
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
