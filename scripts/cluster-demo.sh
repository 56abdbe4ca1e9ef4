#!/usr/bin/env bash
# A cluster on one machine, without root: three etcd members and three agents (alpha, beta,
# gamma) on loopback in a temp dir. It walks through `spew hosts`, `run --host`, `status` across
# hosts, a stop carried out by another host, `events`, and a kill -9 of one agent (the others
# show it unreachable, its appliance runs on) and its return; then it ends everything it started.
# Needs Debian's etcd-server (`apt-get install etcd-server`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v etcd >/dev/null || { echo "cluster-demo: etcd is missing; install the Debian package etcd-server" >&2; exit 1; }
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

dir=$(mktemp -d -t spew-cluster-demo-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# Free loopback ports, asked of the kernel.
ports=($(node -e '
  const net = require("net");
  const take = () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); });
  (async () => { const got = new Set(); while (got.size < 6) got.add(await take()); console.log([...got].join(" ")); })();
'))
members=(m0 m1 m2)
initial=""
endpoints=""
for i in 0 1 2; do
  initial+="${initial:+,}${members[$i]}=http://127.0.0.1:${ports[$((i + 3))]}"
  endpoints+="${endpoints:+, }\"http://127.0.0.1:${ports[$i]}\""
done
for i in 0 1 2; do
  etcd --name="${members[$i]}" --data-dir="$dir/${members[$i]}" \
    --listen-client-urls="http://127.0.0.1:${ports[$i]}" --advertise-client-urls="http://127.0.0.1:${ports[$i]}" \
    --listen-peer-urls="http://127.0.0.1:${ports[$((i + 3))]}" --initial-advertise-peer-urls="http://127.0.0.1:${ports[$((i + 3))]}" \
    --initial-cluster="$initial" --initial-cluster-state=new --initial-cluster-token="demo-$$" \
    --logger=zap --log-outputs=stderr 2>"$dir/${members[$i]}.log" &
  pids+=($!)
done

spew() { node bin/run.js "$@"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

declare -A agent_pid
start_agent() {
  local name=$1 labels=$2
  mkdir -p "$dir/$name"
  cat >"$dir/$name/spew.toml" <<TOML
socket = "$dir/$name/spew.sock"
state_dir = "$dir/$name/state"
log_dir = "$dir/$name/logs"
include = []

[cluster]
etcd = [$endpoints]
name = "$name"
labels = $labels
cluster = "demo"
lease_ttl = "3s"
TOML
  node bin/run.js agent --config "$dir/$name/spew.toml" --log-target file &
  agent_pid[$name]=$!
  pids+=($!)
}
start_agent alpha '{ rack = "a" }'
start_agent beta '{ rack = "b" }'
start_agent gamma '{ rack = "b" }'
on() { local host=$1 command=$2; shift 2; spew "$command" --config "$dir/$host/spew.toml" "$@"; }

# Until every agent has joined.
for _ in $(seq 100); do
  up=$(on alpha hosts --json 2>/dev/null | node -e 'let t="";process.stdin.on("data",(d)=>t+=d).on("end",()=>{try{console.log(JSON.parse(t).hosts.filter((h)=>h.state==="up").length)}catch{console.log(0)}})') || up=0
  [ "$up" = 3 ] && break
  sleep 0.2
done

step "spew hosts                                  # on alpha"
on alpha hosts
step "spew run --host beta web -- sleep 100000    # from alpha: beta runs it"
on alpha run --host beta web -- sleep 100000
# Placement counts what the hosts have published (each publishes within 500 ms).
sleep 1
step "spew run --constraint rack=b db -- sleep 100000   # the rack-b host with the fewest appliances"
on alpha run --constraint rack=b db -- sleep 100000
sleep 1
step "spew status                                 # on gamma: every host's appliances"
on gamma status
step "spew stop web                               # on gamma: beta carries it out and acknowledges"
on gamma stop web
step "spew start web"
on gamma start web
sleep 1
step "spew events -t 6                            # on alpha: every host's events"
on alpha events -t 6

step "kill -9 of beta's agent (pid ${agent_pid[beta]})"
kill -9 "${agent_pid[beta]}"
for _ in $(seq 50); do
  { on alpha hosts || true; } | grep -q '^beta .*unreachable' && break
  sleep 0.2
done
step "spew hosts                                  # beta unreachable once its lease expired"
on alpha hosts
step "spew status                                 # its appliances greyed: as beta last told, with the age"
on alpha status
echo
echo "beta's appliances ran on without their agent:"
beta_pids=$(on alpha status --json --host beta | node -e 'let t="";process.stdin.on("data",(d)=>t+=d).on("end",()=>console.log(JSON.parse(t).map((a)=>a.pid).join(",")))')
ps -o pid,ppid,stat,args --ppid "$beta_pids"   # under the shims the status shows as PID

step "beta's agent started again                 # it takes its appliances back and is current"
start_agent beta '{ rack = "b" }'
for _ in $(seq 50); do
  { on alpha hosts || true; } | grep -q '^beta  *up' && break
  sleep 0.2
done
sleep 1
on alpha hosts
on alpha status --host beta
echo
echo "cluster-demo: done; ending the agents (each stops its appliances) and the etcd members"
