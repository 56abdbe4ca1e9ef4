#!/usr/bin/env bash
# The README's second command and CI's only step: installs what the tests need, then runs all
# of them: lint, type check, unit tests and the integration tests that drive the real agent.
set -euo pipefail
cd "$(dirname "$0")/.."
# System programs some tests use, from Debian's archive when they are missing (root only).
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ]; then echo "test.sh: $1 is missing; install the Debian package $2" >&2; exit 1; fi
  [ -n "${apt_updated:-}" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need cc gcc            # the log keeper, spew's one helper in C (gcc brings libc6-dev, for -static)
need python3 python3   # a TCP listener that never accepts, for the watcher timeout test
need mkfifo coreutils
need openssl openssl                # a self-signed certificate for the https watcher test
need dockerd docker.io              # the Docker runner and image tests run against a real engine
need docker-registry docker-registry   # ... and a real registry on 127.0.0.1
need busybox busybox-static         # the root filesystem of the test images
need ip iproute2                    # bridges for the private engines of the engine-restart tests
need strip binutils                 # build:binary strips the Node runtime it embeds
need rpmbuild rpm                   # the .rpm is built, queried and installed into a temp root
need lintian lintian                # the .deb must have no lintian errors
need systemd-analyze systemd        # the unit passes systemd-analyze verify (no running systemd needed)
need etcd etcd-server               # the cluster tests run real etcd members on loopback
need etcdctl etcd-client
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
