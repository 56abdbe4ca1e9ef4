// Figures 2-5 on a fleet of 1000 `sleep` appliances: bring-up, idle cost, `spew status`, stop.
// Also `spew apply` of 1000 new appliances on a running, empty agent.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI, agentUpTime, alive, apiClient, clockTicksPerSecond, fleetFile, fmt, killTagged, makeTemp, median,
  nowMs, percentile, procUsage, sleep, startAgent, stopAgent, taggedPids, timeCommand, waitForAgent,
  writeInstance,
} from './lib.js';

export const FLEET = 1000;
const POLL_MS = 100;

/**
 * Polls GET /v1/appliances every 100 ms (connection refused while the agent boots is expected)
 * until `n` appliances are running. Answers performance.now() of the first answer and of the
 * answer that had them all running.
 */
export async function pollUntilRunning(agent, client, n, timeoutMs = 120_000) {
  const start = nowMs();
  let firstAnswer;
  let lastRunning = 0;
  let others = [];
  for (let tick = 1; ; tick++) {
    if (agent.done.value) throw new Error(`agent exited (${agent.done.value.code ?? agent.done.value.signal}): ${agent.stderr()}`);
    try {
      const list = await client.status();
      firstAnswer ??= nowMs();
      lastRunning = list.filter((a) => a.state === 'running').length;
      others = list.filter((a) => a.state !== 'running').slice(0, 5).map((a) => `${a.name} ${a.state} (${a.reason})`);
      if (lastRunning >= n) return { firstAnswer, allRunning: nowMs(), list };
    } catch (err) {
      if (err.code !== 'AGENT_UNREACHABLE') throw err;
    }
    if (nowMs() - start > timeoutMs) throw new Error(`only ${lastRunning}/${n} running after ${timeoutMs} ms; not running: ${others.join(', ')}`);
    await sleep(Math.max(0, start + tick * POLL_MS - nowMs()));
  }
}

/** What creating one FIFO costs here, from 300 of them (left in `dir`: deleting now would slow the boot). */
function inodeCreationUs(dir) {
  const probe = join(dir, 'fifo-probe');
  mkdirSync(probe);
  const start = nowMs();
  spawnSync('mkfifo', Array.from({ length: 300 }, (_, i) => join(probe, `p${i}`)));
  return ((nowMs() - start) * 1000) / 300;
}

/** The latest started_at the API reports, as ms since the epoch. */
function lastStartedAt(list) {
  return Math.max(...list.map((a) => Date.parse(a.started_at ?? '')).filter(Number.isFinite));
}

/**
 * Figure 2: first boot of an agent whose config includes N appliances (`appliances`: the text
 * of the file; N `sleep`s by default). Leaves the agent running.
 */
export async function bootFleet(log, n = FLEET, { appliances = fleetFile(n), label = 'fleet' } = {}) {
  const dir = makeTemp(label);
  log(`  filesystem: ${fmt(inodeCreationUs(dir), 0)} us to create a FIFO (a first boot creates 3 per appliance; an ext4 without a journal, as here, takes ten to fifty times longer for a minute or two after many files were deleted)`);
  const instance = writeInstance(dir, { appliances });
  const agent = startAgent(instance, { label });
  const client = await apiClient(instance.socket);
  const { firstAnswer, allRunning, list } = await pollUntilRunning(agent, client, n);
  const about = await client.agent();
  if (about.pid !== agent.pid) log(`  note: the agent reports pid ${about.pid}, we spawned ${agent.pid}`);
  // The agent's log is written asynchronously: give its "up" line a moment to land.
  let upAt = agentUpTime(instance);
  for (let i = 0; upAt === undefined && i < 40; i++) {
    await sleep(50);
    upAt = agentUpTime(instance);
  }
  const usage = procUsage(agent.pid);
  const figures = {
    allRunningMs: allRunning - agent.spawnedAt,
    firstAnswerMs: firstAnswer - agent.spawnedAt,
    logUpMs: upAt === undefined ? NaN : upAt - agent.spawnedWall,
    lastStartMs: lastStartedAt(list) - agent.spawnedWall,
  };
  log(`  spawn -> all ${n} running per API (polled every ${POLL_MS} ms): ${fmt(figures.allRunningMs, 0)} ms`);
  log(`  agent CPU until then: ${fmt(usage.ticks / clockTicksPerSecond(), 2)} s (utime+stime); VmHWM ${fmt(usage.hwmKb / 1024)} MB`);
  log(`  spawn -> first API answer: ${fmt(figures.firstAnswerMs, 0)} ms; agent log "up": ${fmt(figures.logUpMs, 0)} ms; latest started_at: ${fmt(figures.lastStartMs, 0)} ms`);
  return { dir, instance, agent, client, figures };
}

/**
 * Figure 3: RSS and CPU of the agent idling with the fleet running: the figure is the first
 * `seconds` after a 2 s settle; a second window as long again shows the steady state (V8 runs
 * a one-off "memory reducer" GC some 20-30 s after the busy boot, which lands in the first).
 * `onSample(s)`, when given, is called right after sample s (0 to 2 * seconds) is taken.
 */
export async function measureIdle(fleet, log, seconds = 30, { onSample } = {}) {
  const { pid } = fleet.agent;
  const settle = 2000;
  await sleep(settle);
  const hz = clockTicksPerSecond();
  const samples = [{ ...procUsage(pid), at: nowMs() }];
  onSample?.(0);
  const t0 = samples[0].at;
  for (let s = 1; s <= 2 * seconds; s++) {
    await sleep(Math.max(0, t0 + s * 1000 - nowMs()));
    samples.push({ ...procUsage(pid), at: nowMs() });
    onSample?.(s);
  }
  const window = (from, to) => {
    const [a, b] = [samples[from], samples[to]];
    const rss = samples.slice(from + 1, to + 1).map((x) => x.rssKb);
    return {
      rssMb: b.rssKb / 1024,
      rssMaxMb: Math.max(...rss) / 1024,
      ticks: b.ticks - a.ticks,
      cpuPct: ((b.ticks - a.ticks) / hz / ((b.at - a.at) / 1000)) * 100,
    };
  };
  const first = window(0, seconds);
  const second = window(seconds, 2 * seconds);
  const figures = { ...first, hwmMb: samples.at(-1).hwmKb / 1024, steady: second };
  const show = (name, w) => log(`  ${name}: VmRSS ${fmt(w.rssMb)} MB at its end (max ${fmt(w.rssMaxMb)} MB); CPU ${w.ticks} ticks (${hz}/s) = ${fmt(w.cpuPct, 2)} % of one core`);
  show(`idle ${settle / 1000}-${settle / 1000 + seconds} s after all running (the figure)`, first);
  show(`idle ${settle / 1000 + seconds}-${settle / 1000 + 2 * seconds} s (steady state)`, second);
  const slices = [];
  for (let s = 5; s <= 2 * seconds; s += 5) slices.push(`${samples[s].ticks - samples[s - 5].ticks}/${fmt(samples[s].rssKb / 1024, 0)}`);
  log(`  per 5 s, ticks/VmRSS MB: ${slices.join(' ')}`);
  log(`  VmHWM (peak RSS since the agent started): ${fmt(figures.hwmMb)} MB`);
  return figures;
}

/** Figure 5: `spew status` end to end, plus what it is made of. */
export async function measureStatus(fleet, log, runs = 10) {
  const socket = fleet.instance.socket;
  // The three commands take turns, so that each sees the same machine; the first round warms
  // the page cache and is left out.
  const commands = {
    status: [process.execPath, CLI, 'status', '--socket', socket],
    version: [process.execPath, CLI, '--version'],
    bareNode: [process.execPath, '-e', '0'],
  };
  const times = { status: [], version: [], bareNode: [] };
  for (let i = 0; i <= runs; i++) {
    for (const [name, argv] of Object.entries(commands)) {
      const result = await timeCommand(argv);
      if (result.code !== 0) throw new Error(`${argv.slice(1).join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
      if (i > 0) times[name].push(result.ms);
    }
  }
  const { status, version, bareNode } = times;
  const api = [];
  for (let i = 0; i <= runs; i++) {
    const start = nowMs();
    const list = await fleet.client.status();
    if (list.length !== FLEET) throw new Error(`status listed ${list.length} appliances`);
    if (i > 0) api.push(nowMs() - start);
  }
  const line = (name, values) => `  ${name.padEnd(44)} median ${fmt(median(values), 0).padStart(4)} ms  p90 ${fmt(percentile(values, 90), 0).padStart(4)} ms`;
  log(line(`spew status --socket S (${FLEET} appliances)`, status));
  log(line('spew --version', version));
  log(line('node -e 0 (Node startup floor)', bareNode));
  log(line('GET /v1/appliances from a warm client', api));
  return {
    median: median(status),
    p90: percentile(status, 90),
    versionMedian: median(version),
    nodeMedian: median(bareNode),
    apiMedian: median(api),
  };
}

/**
 * Figure 4: SIGTERM to the agent until it has exited and no appliance process is left. The
 * appliance processes are listed (by our tag) before the signal; during the stop only those
 * PIDs are looked at, and a full scan of /proc afterwards checks that nothing is left.
 */
export async function measureStop(fleet, log) {
  const { agent } = fleet;
  const known = taggedPids(agent.tag).filter((pid) => pid !== agent.pid);
  let exitedAt;
  void agent.exited.then((e) => (exitedAt = e.at));
  const t0 = nowMs();
  process.kill(agent.pid, 'SIGTERM');
  let remaining = known;
  let goneAt;
  const deadline = t0 + 60_000;
  while (exitedAt === undefined || goneAt === undefined) {
    if (goneAt === undefined) {
      remaining = remaining.filter(alive);
      if (remaining.length === 0) goneAt = nowMs();
    }
    if (nowMs() > deadline) break;
    await sleep(10);
  }
  const exit = agent.done.value;
  const leftover = taggedPids(agent.tag);
  const killed = killTagged(agent.tag);
  const figures = {
    totalMs: Math.max(exitedAt ?? NaN, goneAt ?? NaN) - t0,
    agentExitMs: (exitedAt ?? NaN) - t0,
    appliancesGoneMs: (goneAt ?? NaN) - t0,
    processes: known.length,
    leftover: leftover.length,
    exit: exit ? (exit.signal ?? `exit ${exit.code}`) : 'still running',
  };
  log(`  ${known.length} appliance processes (shims + sleeps) before SIGTERM`);
  log(`  SIGTERM -> last appliance process gone: ${fmt(figures.appliancesGoneMs, 0)} ms; -> agent exited (${figures.exit}): ${fmt(figures.agentExitMs, 0)} ms`);
  log(`  left behind afterwards: ${leftover.length} process(es)${killed ? ` (the bench killed ${killed})` : ''}`);
  return figures;
}

/** Extra: `spew apply` of N new appliances on a running agent that has none. */
export async function measureApply(log, n = FLEET) {
  const dir = makeTemp('apply');
  const instance = writeInstance(dir);
  const file = join(dir, 'fleet.toml');
  writeFileSync(file, fleetFile(n));
  const agent = startAgent(instance, { label: 'apply' });
  try {
    const client = await waitForAgent(agent);
    await sleep(500);
    const start = nowMs();
    const cli = await timeCommand([process.execPath, CLI, 'apply', file, '--socket', instance.socket]);
    const cliMs = nowMs() - start;
    if (cli.code !== 0) throw new Error(`spew apply exited ${cli.code}: ${cli.stderr.trim()}`);
    const { allRunning } = await pollUntilRunning(agent, client, n);
    const figures = { cliMs, allRunningMs: allRunning - start };
    log(`  spew apply (${n} new) returned after ${fmt(cliMs, 0)} ms; all ${n} running per API after ${fmt(figures.allRunningMs, 0)} ms`);
    return figures;
  } finally {
    const killed = await stopAgent(agent);
    if (killed) log(`  note: ${killed} process(es) were left after the apply agent's stop and were killed`);
  }
}

/** Stops a fleet that is not being measured. */
export async function dropFleet(fleet, log) {
  const killed = await stopAgent(fleet.agent);
  if (killed) log(`  note: ${killed} process(es) were left after the fleet agent's stop and were killed`);
}
