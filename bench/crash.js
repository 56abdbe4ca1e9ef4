// Figure 1: crash-to-running latency.
//
// The appliance (restart = "always", an argv command: no extra shell) is a tiny C program that,
// as the first thing it does, reads CLOCK_REALTIME and appends "NS PID" to a file, then pause()s.
// The bench finds it as the only child of the shim (/proc/SHIM/task/SHIM/children), reads the
// clock just before it sends SIGKILL, and waits for the next line: latency = start - kill.
// Baselines on the same machine: the program spawned straight from Node, through `sh -c`, and
// from a standby shim woken the way the agent wakes one (outside any agent).
//
// Clocks: the bench reads CLOCK_MONOTONIC (process.hrtime.bigint(), which is libuv's
// clock_gettime(CLOCK_MONOTONIC)) plus the REALTIME-MONOTONIC offset that the same C program
// measures (best of 20 bracketed reads), so both ends use the very same clock to well under a
// microsecond. Without cc the fallback child is `date +%s%N` under /bin/sh, and the offset comes
// from watching Date.now() tick (about a microsecond of error; the shell costs far more).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  REPO, TAG_VAR, childrenOf, distributionRow, fmt, makeTemp, median, newTag, nowMs, percentile, sleep, startAgent, stopAgent,
  waitForAgent, writeInstance,
} from './lib.js';

const CRASHES = 50;
const WARMUP = 5;
const BASELINE_RUNS = 30;
const TRACED_CRASHES = 30;
/** Pause between one restart and the next kill, so each crash meets an idle agent. */
const SETTLE_MS = 50;

const STAMP_C = String.raw`
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  long long start = ns(CLOCK_REALTIME);
  if (argc < 2) return 2;
  if (strcmp(argv[1], "--offset") == 0) {
    long long best = -1, offset = 0;
    for (int i = 0; i < 20; i++) {
      long long a = ns(CLOCK_REALTIME), m = ns(CLOCK_MONOTONIC), b = ns(CLOCK_REALTIME);
      if (best < 0 || b - a < best) { best = b - a; offset = a + (b - a) / 2 - m; }
    }
    printf("%lld\n", offset);
    return 0;
  }
  char line[64];
  int n = snprintf(line, sizeof line, "%lld %d\n", start, (int)getpid());
  int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return 111;
  if (write(fd, line, n) != n) return 112;
  close(fd);
  for (;;) pause();
}
`;

/**
 * Builds the child; answers how to run it and how the clock offset was found. `isStatic` links
 * it statically, to run in a container that has no libc.
 */
export function prepareChild(dir, { isStatic = false } = {}) {
  const source = join(dir, 'stamp.c');
  const binary = join(dir, 'stamp');
  writeFileSync(source, STAMP_C);
  const cc = spawnSync('cc', ['-O2', ...(isStatic ? ['-static'] : []), '-o', binary, source], { encoding: 'utf8' });
  if (cc.status === 0 && existsSync(binary)) {
    const offset = spawnSync(binary, ['--offset'], { encoding: 'utf8' });
    if (offset.status === 0) {
      return {
        kind: 'cc',
        binary,
        argv: (file) => [binary, file],
        offsetNs: BigInt(offset.stdout.trim()),
        describe: 'C program built with cc (clock_gettime(CLOCK_REALTIME); append "NS PID"; pause())',
        clock: 'hrtime (CLOCK_MONOTONIC) + REALTIME-MONOTONIC offset measured by the C program',
      };
    }
  }
  // `$$` is the shell's pid, which `exec` hands on to sleep: the line names the process to kill.
  return {
    kind: 'sh',
    argv: (file) => ['/bin/sh', '-c', 'echo "$(date +%s%N) $$" >>"$0"; exec sleep 100000', file],
    offsetNs: offsetFromDateTick(),
    describe: `FALLBACK (cc unavailable: ${(cc.stderr || cc.error?.message || '').trim().split('\n')[0]}): sh -c 'date +%s%N >> FILE; exec sleep'`,
    clock: 'hrtime (CLOCK_MONOTONIC) + offset to Date.now() taken at a millisecond tick',
  };
}

/** REALTIME - MONOTONIC in ns, from the moment Date.now() moves to the next millisecond. */
function offsetFromDateTick() {
  let best;
  for (let i = 0; i < 5; i++) {
    const first = Date.now();
    let now;
    do now = Date.now(); while (now === first);
    const mono = process.hrtime.bigint();
    const offset = BigInt(now) * 1_000_000n - mono;
    if (best === undefined || offset > best) best = offset;
  }
  return best;
}

export function readLines(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  } catch {
    return [];
  }
}

/** Polls the stamp file every millisecond until it has more than `count` lines. */
export async function nextLine(file, count, timeoutMs = 10_000) {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const lines = readLines(file);
    if (lines.length > count) {
      const [ns, pid] = lines[count].split(' ');
      return { ns: BigInt(ns), pid: Number(pid), count: lines.length };
    }
    if (nowMs() > deadline) throw new Error(`no start line ${count + 1} in ${file} within ${timeoutMs} ms`);
    await sleep(1);
  }
}

export const toMs = (ns) => Number(ns) / 1e6;

/**
 * Crashes the appliance `crashes` times (after WARMUP uncounted ones). With `trace`, the agent
 * runs with bench/spawn-trace.js and each crash is also split at the agent's spawn() call.
 */
async function measureAgent(child, log, { crashes, trace = false }) {
  const dir = makeTemp(trace ? 'crash-trace' : 'crash');
  const file = join(dir, 'starts');
  const traceFile = join(dir, 'spawns');
  const argv = child.argv(file);
  const instance = writeInstance(dir, {
    appliances: `[crashy]\ncommand = ${JSON.stringify(argv)}\nrestart = "always"\n`,
  });
  const agent = startAgent(instance, trace
    ? {
        label: 'crash-trace',
        nodeArgs: ['--import', join(REPO, 'bench', 'spawn-trace.js')],
        env: { SPEW_BENCH_TRACE_FILE: traceFile, SPEW_BENCH_OFFSET_NS: String(child.offsetNs) },
      }
    : { label: 'crash' });
  const latencies = [];
  const segments = { seen: [], react: [], wake: [] };
  let launched = 0;
  try {
    const client = await waitForAgent(agent);
    let seen = (await nextLine(file, 0)).count;
    let shim = 0;
    for (let i = 0; i < WARMUP + crashes; i++) {
      const last = readLines(file)[seen - 1].split(' ');
      const appPid = Number(last[1]);
      // Wait for the agent to report the run that wrote the last line, and find the appliance
      // as the issue has it: the one child of the shim.
      const deadline = nowMs() + 10_000;
      let target;
      for (;;) {
        const [status] = await client.status(['crashy']);
        if (status.state === 'running' && status.pid && status.pid !== shim) {
          const kids = childrenOf(status.pid);
          if (kids.length === 1 && kids[0] === appPid) {
            shim = status.pid;
            target = kids[0];
            break;
          }
        }
        if (nowMs() > deadline) throw new Error(`crash ${i}: appliance not back to running (${status.state}, pid ${status.pid})`);
        await sleep(5);
      }
      await sleep(SETTLE_MS);
      const killedAt = process.hrtime.bigint() + child.offsetNs;
      process.kill(target, 'SIGKILL');
      const next = await nextLine(file, seen);
      seen = next.count;
      if (i < WARMUP) continue;
      latencies.push(toMs(next.ns - killedAt));
      if (trace) {
        // Trace lines since the kill: the first reap (the agent saw the shim's exit line), then
        // the go line that handed the start to a standby.
        const events = readLines(traceFile).map((line) => line.split(' '))
          .filter(([, at]) => BigInt(at) >= killedAt);
        const rm = events.find(([kind]) => kind === 'reap');
        const go = events.find(([kind]) => kind === 'go');
        if (events.some(([kind]) => kind === 'launch')) launched += 1;
        if (rm && go) {
          const [seen, sent] = [rm[1], go[1]].map(BigInt);
          segments.seen.push(toMs(seen - killedAt));
          segments.react.push(toMs(sent - seen));
          segments.wake.push(toMs(next.ns - sent));
        }
      }
    }
    const [status] = await client.status(['crashy']);
    if (!trace) log(`  agent: ${WARMUP} warm-up + ${crashes} measured crashes; appliance now ${status.state}, ${status.restarts} restarts`);
  } finally {
    await stopAgent(agent);
  }
  return { latencies, segments, launched };
}

/** Starts the program straight from Node, the same way each time. */
async function measureBaseline(child, dir, how) {
  const file = join(dir, `baseline-${how}`);
  const env = { ...process.env, [TAG_VAR]: newTag(`baseline-${how}`) };
  const latencies = [];
  for (let i = 0; i < WARMUP + BASELINE_RUNS; i++) {
    const argv = child.argv(file);
    const startedAt = process.hrtime.bigint() + child.offsetNs;
    const proc = how === 'spawn'
      ? spawn(argv[0], argv.slice(1), { stdio: 'ignore', env })
      // A shell that forks the program and waits for it, as a shim does.
      : spawn('/bin/sh', ['-c', '"$@"; exit $?', 'sh', ...argv], { detached: true, stdio: 'ignore', env });
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    const next = await nextLine(file, i);
    if (i >= WARMUP) latencies.push(toMs(next.ns - startedAt));
    for (const target of [how === 'spawn' ? proc.pid : -proc.pid, next.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await exited;
  }
  return latencies;
}

/**
 * The product's own shim, started as a standby in a slot of its own, then handed a run dir the
 * way the agent hands it one: latency = go line written -> program starts. No agent runs.
 */
async function measureStandby(child, dir) {
  const { FIELD_SEPARATOR, SHIM_SCRIPT } = await import(join(REPO, 'dist', 'runners', 'shell-shim.js'));
  const { runSpec } = await import(join(REPO, 'dist', 'runners', 'run-spec.js'));
  const root = makeTemp('standby');
  const slot = join(root, 'slot');
  const run = join(root, 'run');
  const file = join(dir, 'baseline-standby');
  mkdirSync(slot);
  mkdirSync(run);
  spawnSync('mkfifo', [join(slot, 'go'), join(slot, 'ready'), join(run, 'out'), join(run, 'err'), join(run, 'life')]);
  const def = { name: 'bench', ref: 'bench', command: child.argv(file), env: { [TAG_VAR]: newTag('baseline-standby') }, stdin: false };
  const spec = runSpec(def, undefined);
  // Held open read-write, as the agent holds them: no open blocks, no write fails.
  const fds = ['out', 'err', 'life'].map((name) => openSync(join(run, name), constants.O_RDWR | constants.O_NONBLOCK));
  const go = openSync(join(slot, 'go'), constants.O_RDWR | constants.O_NONBLOCK);
  const ready = openSync(join(slot, 'ready'), constants.O_RDWR | constants.O_NONBLOCK);
  const latencies = [];
  try {
    for (let i = 0; i < WARMUP + BASELINE_RUNS; i++) {
      rmSync(join(run, 'pid'), { force: true });
      const shim = spawn('/bin/sh', ['-c', SHIM_SCRIPT, 'spew-shim', 'wait:bench', slot, join(slot, 'ready')], { detached: true, stdio: 'ignore' });
      const exited = new Promise((resolve) => shim.once('exit', resolve));
      await waitReadable(ready);
      const startedAt = process.hrtime.bigint() + child.offsetNs;
      writeSync(go, `${run}${FIELD_SEPARATOR}${spec}\n`);
      const next = await nextLine(file, i);
      if (i >= WARMUP) latencies.push(toMs(next.ns - startedAt));
      process.kill(-shim.pid, 'SIGKILL');
      await exited;
    }
  } finally {
    for (const fd of [...fds, go, ready]) closeSync(fd);
  }
  return latencies;
}

/** Waits until something can be read from a non-blocking fd, and reads it. */
async function waitReadable(fd) {
  const buf = Buffer.alloc(256);
  const deadline = nowMs() + 10_000;
  for (;;) {
    try {
      if (readSync(fd, buf) > 0) return;
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
    if (nowMs() > deadline) throw new Error('the standby never said it was ready');
    await sleep(1);
  }
}

export async function runCrash(log) {
  const dir = makeTemp('crash-child');
  const child = prepareChild(dir);
  log(`  child: ${child.describe}`);
  log(`  clock: ${child.clock}`);
  const started = nowMs();
  const { latencies } = await measureAgent(child, log, { crashes: CRASHES });
  const baselines = {};
  for (const how of ['spawn', 'sh']) baselines[how] = await measureBaseline(child, dir, how);
  baselines.standby = await measureStandby(child, dir);
  const { latencies: traced, segments, launched } = await measureAgent(child, log, { crashes: TRACED_CRASHES, trace: true });
  const row = (name, values) => distributionRow(name, values);
  log(row('spew: SIGKILL -> next start (agent restart)', latencies));
  log(row('baseline: Node spawn(program)', baselines.spawn));
  log(row("baseline: Node spawn(/bin/sh -c '\"$@\"' -> program)", baselines.sh));
  log(row('baseline: standby shim, go line -> program', baselines.standby));
  log('  where a restart goes (separate agent with bench/spawn-trace.js, which times its writes):');
  log(row('  SIGKILL -> next start, this agent', traced));
  log(row('  a. SIGKILL -> agent has seen the exit line', segments.seen));
  log(row('  b. -> go line to a standby (bookkeeping)', segments.react));
  log(row('  c. go line -> program starts (standby shim)', segments.wake));
  log(`    (a ends at the first group SIGKILL after the kill: ShellProcess.settle ending what is left of the run; ${launched} of ${TRACED_CRASHES} restarts found no standby ready and went through the launcher)`);
  log(`  (${fmt((nowMs() - started) / 1000)} s)`);
  return {
    child: child.kind,
    p50: median(latencies),
    p90: percentile(latencies, 90),
    segments: Object.fromEntries(Object.entries(segments).map(([k, v]) => [k, median(v)])),
    baseline: {
      spawn: median(baselines.spawn),
      sh: median(baselines.sh),
      standby: median(baselines.standby),
    },
  };
}
