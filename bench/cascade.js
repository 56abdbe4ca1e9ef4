// Figure 8: a dependency crashes; how long until its 50 dependents have all restarted, under the
// agent-wide restart throttle ([supervision] max_restarts per window, with jitter).
//
//   [db]   restart = "always"
//   [dN]   depends = ["db"], restart = { dependency = { db = "restart" } }     (N = 1..50)
//
// Every appliance runs the crash part's C child, which appends "NS PID" (CLOCK_REALTIME read as
// its first act) to a file: db to its own, the dependents all to one (O_APPEND, one write each).
// The bench SIGKILLs db's program (the shim's one child, as the crash part does) and reads the
// clock just before. "All restarted" is when the 50th dependent has started again, taken two
// ways: from the agent's events.log (the last dependent's first `started` record after the kill,
// whole ms) and from the programs' own start lines. The throttle check counts `start` records
// (db's and the dependents': a restart the throttle let begin) after the kill in every window of
// `window` and reports the most; `started` follows each a moment later, when its shim is up.
// Rounds are 1.5 s apart once all 51 are running again, so each meets an empty throttle window.
// A second agent with max_restarts = 1000 gives the unthrottled time.
import { join } from 'node:path';
import { nextLine, prepareChild, readLines, toMs } from './crash.js';
import { pollUntilRunning } from './fleet.js';
import {
  REPO, apiClient, childrenOf, eventsOffset, fmt, makeTemp, maxInWindow, median, nowMs, readEvents,
  sleep, startAgent, stopAgent, writeInstance,
} from './lib.js';

const DEPENDENTS = 50;
const ROUNDS = 5;
const UNTHROTTLED_ROUNDS = 2;
const PAUSE_MS = 1500;

function cascadeFile(child, dbFile, depFile) {
  const lines = ['[db]', `command = ${JSON.stringify(child.argv(dbFile))}`, 'restart = "always"', ''];
  for (let i = 1; i <= DEPENDENTS; i++) {
    lines.push(
      `[d${i}]`,
      `command = ${JSON.stringify(child.argv(depFile))}`,
      'depends = ["db"]',
      'restart = { dependency = { db = "restart" } }',
      '',
    );
  }
  return lines.join('\n');
}

/** The supervision settings an agent reads from this config: what dist/ itself makes of it. */
async function settingsOf(instance) {
  const { loadInstanceConfig } = await import(join(REPO, 'dist', 'config', 'instance-config.js'));
  const config = await loadInstanceConfig({ file: instance.config, env: process.env, uid: process.getuid() });
  return config.supervision;
}

/** Waits until `file` has at least `count` lines; answers them. */
async function linesAtLeast(file, count, timeoutMs) {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const lines = readLines(file);
    if (lines.length >= count) return lines;
    if (nowMs() > deadline) throw new Error(`${file}: ${lines.length}/${count} start lines after ${timeoutMs} ms`);
    await sleep(2);
  }
}

async function runAgent(child, log, { label, supervision, rounds }) {
  const dir = makeTemp(label);
  const dbFile = join(dir, 'db-starts');
  const depFile = join(dir, 'dep-starts');
  const instance = writeInstance(dir, { appliances: cascadeFile(child, dbFile, depFile), supervision });
  const settings = await settingsOf(instance);
  log(`  ${label}: [supervision] max_restarts = ${settings.max_restarts}, window = ${settings.window_ms} ms, restart_jitter = ${settings.jitter_ms} ms${supervision ? ' (set in the config)' : ' (defaults)'}`);
  const agent = startAgent(instance, { label });
  const figures = { events: [], stamps: [], maxWindow: [], db: [], told: [], stopped: [], settings };
  try {
    const client = await apiClient(instance.socket);
    await pollUntilRunning(agent, client, DEPENDENTS + 1, 60_000);
    let dbSeen = (await nextLine(dbFile, 0)).count;
    let depSeen = (await linesAtLeast(depFile, DEPENDENTS, 10_000)).length;
    for (let round = 0; round < rounds; round++) {
      await pollUntilRunning(agent, client, DEPENDENTS + 1, 30_000);
      await sleep(PAUSE_MS);
      const [db] = await client.status(['db']);
      const appPid = Number(readLines(dbFile)[dbSeen - 1].split(' ')[1]);
      const kids = childrenOf(db.pid);
      if (kids.length !== 1 || kids[0] !== appPid) throw new Error(`round ${round}: db's shim ${db.pid} has children ${kids.join(',')}, expected ${appPid}`);
      const from = eventsOffset(instance.stateDir);
      const killedAt = process.hrtime.bigint() + child.offsetNs;
      process.kill(appPid, 'SIGKILL');
      const lines = await linesAtLeast(depFile, depSeen + DEPENDENTS, 60_000);
      dbSeen = (await nextLine(dbFile, dbSeen)).count;
      const depStarts = lines.slice(depSeen, depSeen + DEPENDENTS).map((line) => BigInt(line.split(' ')[0]));
      const dbStart = BigInt(readLines(dbFile)[dbSeen - 1].split(' ')[0]);
      depSeen = lines.length;
      // The agent writes `started` just after spawn() returns; give the last one a moment.
      await sleep(50);
      const killMs = toMs(killedAt);
      const records = readEvents(instance.stateDir, from).records.filter((r) => r.ms >= Math.floor(killMs));
      const started = records.filter((r) => r.event.kind === 'started');
      // Where the time goes: the agent has told every dependent (its `dependency` record, with
      // the SIGTERM sent right after), every old dependent process has ended (its `stop`).
      const lastOf = (kind) => Math.max(...records.filter((r) => r.name !== 'db' && r.event.kind === kind).map((r) => r.ms)) - killMs;
      const told = lastOf('dependency');
      const stopped = lastOf('stop');
      const firstByName = new Map();
      for (const r of started) if (!firstByName.has(r.name)) firstByName.set(r.name, r.ms);
      const deps = [...firstByName].filter(([name]) => name !== 'db');
      if (deps.length !== DEPENDENTS) throw new Error(`round ${round}: ${deps.length}/${DEPENDENTS} dependents have a started record after the kill`);
      const eventsMs = Math.max(...deps.map(([, ms]) => ms)) - killMs;
      const stampMs = toMs(depStarts.reduce((a, b) => (b > a ? b : a)) - killedAt);
      const begun = records.filter((r) => r.event.kind === 'start');
      const windowMax = maxInWindow(begun.map((r) => r.ms), settings.window_ms);
      const extra = started.length - (DEPENDENTS + 1);
      figures.events.push(eventsMs);
      figures.stamps.push(stampMs);
      figures.maxWindow.push(windowMax);
      figures.db.push(toMs(dbStart - killedAt));
      figures.told.push(told);
      figures.stopped.push(stopped);
      log(`    round ${round + 1}: kill -> all ${DEPENDENTS} dependents started ${fmt(eventsMs, 0)} ms (events.log), ${fmt(stampMs, 1)} ms (programs' clock); db started ${fmt(toMs(dbStart - killedAt), 1)} ms; all told ${fmt(told, 0)} ms, all old ones ended ${fmt(stopped, 0)} ms; most starts in one ${settings.window_ms} ms window: ${windowMax}${extra !== 0 ? `; ${started.length} started records (expected ${DEPENDENTS + 1})` : ''}`);
    }
  } finally {
    await stopAgent(agent);
  }
  return figures;
}

export async function runCascade(log) {
  const dir = makeTemp('cascade-child');
  const child = prepareChild(dir);
  log(`  child: ${child.describe}`);
  log(`  db: restart = "always"; d1..d${DEPENDENTS}: depends = ["db"], restart = { dependency = { db = "restart" } }`);
  const throttled = await runAgent(child, log, { label: 'cascade', rounds: ROUNDS });
  const free = await runAgent(child, log, { label: 'cascade-unthrottled', supervision: { max_restarts: 1000 }, rounds: UNTHROTTLED_ROUNDS });
  const row = (name, values, digits = 0) =>
    `  ${name.padEnd(58)} p50 ${fmt(median(values), digits).padStart(6)} ms  max ${fmt(Math.max(...values), digits).padStart(6)} ms  (n=${values.length})`;
  const { max_restarts: maxRestarts, window_ms: windowMs } = throttled.settings;
  log(row(`throttled (${maxRestarts} per ${windowMs} ms): kill -> all started, events.log`, throttled.events));
  log(row('  same, programs\' own start lines', throttled.stamps, 1));
  log(`  ${'  most restarts begun in one window (start records)'.padEnd(58)} ${Math.max(...throttled.maxWindow)} (limit ${maxRestarts}; per round ${throttled.maxWindow.join(' ')})`);
  log(row(`unthrottled (max_restarts ${free.settings.max_restarts}): kill -> all started, events.log`, free.events));
  log(row('  same, programs\' own start lines', free.stamps, 1));
  log(`  ${'  most restarts begun in one window (start records)'.padEnd(58)} ${Math.max(...free.maxWindow)}`);
  const both = (key) => [...throttled[key], ...free[key]];
  log(row('all rounds: kill -> db\'s program started again', both('db'), 1));
  log(row('all rounds: kill -> every dependent told (dependency record)', both('told')));
  log(row('all rounds: kill -> every old dependent ended (stop record)', both('stopped')));
  return {
    p50: median(throttled.events),
    max: Math.max(...throttled.events),
    stampP50: median(throttled.stamps),
    maxWindow: Math.max(...throttled.maxWindow),
    maxRestarts,
    windowMs,
    jitterMs: throttled.settings.jitter_ms,
    freeP50: median(free.events),
    freeMax: Math.max(...free.events),
    dbP50: median(both('db')),
    stoppedP50: median(both('stopped')),
  };
}
