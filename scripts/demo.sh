#!/usr/bin/env bash
# The README's first command: installs the npm dependencies, builds, and runs the agent in the
# foreground on examples/spew.toml as whoever you are (no root, Docker or etcd needed). The
# agent's log on the terminal shows every transition, `flaky` crashing and coming back among
# them. Ctrl-C stops every appliance and the agent.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
cat <<'TXT'
spew demo: the agent runs below; in another terminal, from this folder, try
  node bin/run.js status --config examples/spew.toml
  node bin/run.js logs -f clock --config examples/spew.toml
  node bin/run.js events --config examples/spew.toml
  curl -s http://127.0.0.1:8077/
TXT
exec node bin/run.js agent --config examples/spew.toml --log-target console
