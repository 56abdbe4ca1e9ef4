#!/usr/bin/env bash
# The README's second command and CI's only step: installs what the tests need, then runs all
# of them: lint, type check, unit tests and the integration tests that drive the real agent.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm run lint
npm run typecheck
results=$(mktemp)
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$results" || status=$?
# vitest's own summary is not a line CI tools read; this one is.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' "$results" || status=1
rm -f "$results"
exit "$status"
