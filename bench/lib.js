// Shared helpers for the benchmarks: temp dirs, agents, the process table, clocks and statistics.
//
// Every process the bench starts carries SPEW_BENCH_TAG=<tag> in its environment (the agent
// gets it from us, appliances inherit it from the agent), so cleanup finds all of them by
// reading /proc/PID/environ and kills them one by one, by PID. No pkill, no killall.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(REPO, 'bin', 'run.js');
export const TAG_VAR = 'SPEW_BENCH_TAG';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const nowMs = () => performance.now();

/** Loads the API client from dist/ (after the build). */
export async function apiClient(socket) {
  const { ApiClient } = await import(join(REPO, 'dist', 'client', 'api-client.js'));
  return new ApiClient(socket);
}

// ---------------------------------------------------------------------------------------------
// Statistics

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p% of the sample at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}
export const median = (values) => percentile(values, 50);

export function fmt(value, digits = 1) {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

// ---------------------------------------------------------------------------------------------
// Temp dirs and processes we started

const tempDirs = new Set();
const tags = new Set();
let tagCounter = 0;

export function makeTemp(label) {
  const dir = mkdtempSync(join(tmpdir(), `spew-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function newTag(label) {
  const tag = `${process.pid}-${label}-${++tagCounter}`;
  tags.add(tag);
  return tag;
}

/** `State` field of /proc/PID/stat, or undefined when the process is gone. */
export function procState(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
export function alive(pid) {
  const state = procState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** PIDs of live processes whose environment carries our tag. */
export function taggedPids(tag) {
  const needle = Buffer.from(`\0${TAG_VAR}=${tag}\0`);
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    // The first variable has no NUL before it; prepend one so the needle matches it too.
    if (Buffer.concat([Buffer.from([0]), environ, Buffer.from([0])]).includes(needle) && alive(pid)) found.push(pid);
  }
  return found;
}

/** SIGKILLs every live process that carries the tag, one PID at a time; answers how many. */
export function killTagged(tag) {
  let killed = 0;
  for (let round = 0; round < 5; round++) {
    const pids = taggedPids(tag);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // Gone already.
      }
    }
    spawnSync('sleep', ['0.05']);
  }
  return killed;
}

/** Synchronous: safe from 'exit' and signal handlers. */
export function cleanupEverything() {
  let killed = 0;
  for (const tag of tags) killed += killTagged(tag);
  tags.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
  return killed;
}

let handlersInstalled = false;
export function installCleanupHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => cleanupEverything());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      const killed = cleanupEverything();
      console.error(`\nbench: interrupted by ${signal}; killed ${killed} process(es) it had started`);
      process.exit(130);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Agents

/**
 * Writes an instance config in DIR. `appliances`, when given, is the text of an appliance file
 * included by it (applied on the agent's first boot); `supervision`, the keys of its
 * `[supervision]` table (e.g. `{ max_restarts: 1000 }`); `tables`, more TOML tables as text
 * (a `[cluster]` table).
 */
export function writeInstance(dir, { appliances, stopTimeout = '5s', supervision, tables = '' } = {}) {
  const config = join(dir, 'spew.toml');
  const lines = [
    `socket = ${JSON.stringify(join(dir, 'spew.sock'))}`,
    `state_dir = ${JSON.stringify(join(dir, 'state'))}`,
    `log_dir = ${JSON.stringify(join(dir, 'logs'))}`,
    'log_level = "info"',
    `stop_timeout = "${stopTimeout}"`,
  ];
  if (appliances !== undefined) {
    mkdirSync(join(dir, 'appliances.d'), { recursive: true });
    writeFileSync(join(dir, 'appliances.d', 'bench.toml'), appliances);
    lines.push('include = ["appliances.d/*.toml"]');
  } else {
    lines.push('include = []');
  }
  // Tables come after every top-level key.
  if (supervision !== undefined) {
    lines.push('[supervision]', ...Object.entries(supervision).map(([key, value]) => `${key} = ${JSON.stringify(value)}`));
  }
  if (tables !== '') lines.push(tables);
  writeFileSync(config, `${lines.join('\n')}\n`);
  return { config, socket: join(dir, 'spew.sock'), logDir: join(dir, 'logs'), stateDir: join(dir, 'state') };
}

/**
 * Extra Node flags for every agent the bench starts, from BENCH_AGENT_NODE_ARGS (space-separated),
 * e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where an agent spends its time.
 */
function agentNodeArgs() {
  return (process.env.BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/**
 * Starts `spew agent` on an instance config, in its own process group, tagged. Answers the child,
 * its exit promise, and when (performance.now() and Date.now()) it was spawned.
 */
export function startAgent(instance, { label = 'agent', nodeArgs = [], env = {} } = {}) {
  const tag = newTag(label);
  const spawnedWall = Date.now();
  const spawnedAt = nowMs();
  const child = spawn(process.execPath, [...agentNodeArgs(), ...nodeArgs, CLI, 'agent', '--config', instance.config, '--log-target', 'file'], {
    cwd: dirname(instance.config),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env, [TAG_VAR]: tag, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: nowMs(), stderr: () => stderr }));
  });
  const done = { value: undefined };
  void exited.then((value) => (done.value = value));
  return { child, pid: child.pid, tag, exited, done, spawnedAt, spawnedWall, instance, stderr: () => stderr };
}

/** Waits until the agent answers on its socket; answers the client. */
export async function waitForAgent(agent, timeoutMs = 60_000) {
  const client = await apiClient(agent.instance.socket);
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    if (agent.done.value) throw new Error(`agent exited early (${agent.done.value.code ?? agent.done.value.signal}): ${agent.stderr()}`);
    try {
      await client.agent();
      return client;
    } catch (err) {
      if (nowMs() > deadline) throw new Error(`agent did not answer within ${timeoutMs} ms: ${err.message}`, { cause: err });
      await sleep(20);
    }
  }
}

/** SIGTERM to the agent, then wait for it; on timeout (or anyway afterwards) kill what is left. */
export async function stopAgent(agent, timeoutMs = 30_000) {
  if (!agent.done.value) {
    try {
      process.kill(agent.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    let timer;
    await Promise.race([agent.exited, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
  return killTagged(agent.tag);
}

/** The time the agent's own log says it was up (ms since the epoch), or undefined. */
export function agentUpTime(instance) {
  try {
    const log = readFileSync(join(instance.logDir, 'agent.log'), 'utf8');
    const match = /^(\S+) INFO +agent \S+ up:/m.exec(log);
    return match ? Date.parse(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** /proc facts about one process: RSS (kB), peak RSS (kB), utime+stime (ticks). */
export function procUsage(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (1-based), i.e. 11 and 12 after dropping fields 1-2.
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), ticks: Number(fields[11]) + Number(fields[12]) };
}

export function clockTicksPerSecond() {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(out.stdout?.trim());
  return Number.isFinite(value) && value > 0 ? value : 100;
}

/** Runs a command to its end; answers the wall time in ms (spawn to exit) and its status. */
export function timeCommand(argv, { env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const start = nowMs();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ms: nowMs() - start, code, stderr }));
  });
}

/** Names for n appliances, in order: s0000, s0001, ... */
export function fleetNames(n) {
  return Array.from({ length: n }, (_, i) => `s${String(i).padStart(4, '0')}`);
}

export function fleetFile(n, command = ['sleep', '100000']) {
  return fleetNames(n).map((name) => `[${name}]\ncommand = ${JSON.stringify(command)}\n`).join('\n');
}

/**
 * The records of STATE_DIR/events.log from byte `from` on (the agent appends whole lines with
 * one write each; a last line without its newline yet is left for the next read). Answers the
 * parsed records and the offset to read on from.
 */
export function readEvents(stateDir, from = 0) {
  let buffer;
  try {
    buffer = readFileSync(join(stateDir, 'events.log'));
  } catch {
    return { records: [], next: from };
  }
  const end = buffer.lastIndexOf(0x0a) + 1;
  if (end <= from) return { records: [], next: from };
  const records = [];
  for (const line of buffer.subarray(from, end).toString('utf8').split('\n')) {
    if (line === '') continue;
    try {
      const record = JSON.parse(line);
      records.push({ ...record, ms: Date.parse(record.time) });
    } catch {
      // Not a whole record.
    }
  }
  return { records, next: end };
}

/** Size of STATE_DIR/events.log now: read on from here to see only what comes next. */
export function eventsOffset(stateDir) {
  return readEvents(stateDir, 0).next;
}

/** The PIDs of a process's children (Linux /proc). */
export function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * The most events of `times` (ms, any order) that fall inside one window of `windowMs`, the
 * window at t being (t - windowMs, t] as the agent's throttle counts it.
 */
export function maxInWindow(times, windowMs) {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[last] - sorted[first] >= windowMs) first++;
    best = Math.max(best, last - first + 1);
  }
  return best;
}

/** One figure's distribution on a line: p50, p90, min, max and the count, in ms. */
export function distributionRow(name, values, { width = 50, digits = 2 } = {}) {
  const at = (v) => fmt(v, digits).padStart(7);
  return `  ${name.padEnd(width)} p50 ${at(median(values))} ms  p90 ${at(percentile(values, 90))} ms  min ${at(Math.min(...values))}  max ${at(Math.max(...values))}  (n=${values.length})`;
}
