#!/usr/bin/env node
// `npm run bench [-- PART...]`: spew's performance figures next to their targets.
//
//   node bench/run.js                  every part: crash up idle status stop apply watchers monitor cascade docker binary cluster
//   node bench/run.js crash            one part (or several, in any order)
//   node bench/run.js --no-build idle  skip `npm run build` (dist/ must be current)
//
// Prints figures only; it never fails on a missed target (exit 1 only if the bench itself
// breaks). Every agent and appliance it starts runs in temp dirs and is ended by PID.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { runCascade } from './cascade.js';
import { runCrash } from './crash.js';
import { FLEET, bootFleet, dropFleet, measureApply, measureIdle, measureStatus, measureStop } from './fleet.js';
import { REPO, cleanupEverything, fmt, installCleanupHandlers, nowMs } from './lib.js';
import { runMonitor } from './monitor.js';
import { runWatchers } from './watchers.js';
import { runDocker } from './docker.js';
import { BINARY_FLEET, runBinary } from './binary.js';
import { runCluster } from './cluster.js';

const PARTS = ['crash', 'up', 'idle', 'status', 'stop', 'apply', 'watchers', 'monitor', 'cascade', 'docker', 'binary', 'cluster'];
const FLEET_PARTS = new Set(['up', 'idle', 'status', 'stop']);
const log = (line = '') => console.log(line);

function parseArgs(argv) {
  const build = !argv.includes('--no-build') && process.env.BENCH_NO_BUILD !== '1';
  const named = argv.filter((a) => !a.startsWith('--'));
  const unknown = named.filter((a) => !PARTS.includes(a) && a !== 'all');
  if (unknown.length > 0 || argv.includes('--help')) {
    console.error(`usage: node bench/run.js [--no-build] [all | ${PARTS.join(' | ')} ...]`);
    process.exit(unknown.length > 0 ? 2 : 0);
  }
  const parts = named.length === 0 || named.includes('all') ? PARTS : PARTS.filter((p) => named.includes(p));
  return { build, parts: new Set(parts) };
}

function build() {
  const start = nowMs();
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
  if (result.status === 0) {
    log(`build: npm run build ok (${fmt((nowMs() - start) / 1000)} s)`);
    return;
  }
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`.trim();
  if (!existsSync(join(REPO, 'dist', 'client', 'api-client.js'))) {
    console.error(`bench: npm run build failed and there is no dist/ to fall back on:\n${output}`);
    process.exit(1);
  }
  log('build: npm run build FAILED; measuring the dist/ already there. Build output:');
  log(output.split('\n').map((l) => `  | ${l}`).join('\n'));
}

function git(args) {
  const result = spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function machineFacts() {
  const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
  const head = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', 'src'])?.length ? ' (src/ has uncommitted changes)' : '';
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  log('spew benchmarks');
  log(`  spew ${version}, git ${head ?? 'n/a'}${dirty}`);
  log(`  node ${process.version}, linux ${release()}`);
  log(`  nproc ${availableParallelism()} (${cpu}), RAM ${fmt(totalmem() / 2 ** 30)} GiB`);
  log(`  load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

const results = {};

/** Jiffies of all CPUs from /proc/stat: busy (not idle or iowait) and total. */
function cpuJiffies() {
  const fields = readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3] - (fields[4] ?? 0), total };
}

async function part(name, fn) {
  log();
  log(`== ${name}`);
  const start = nowMs();
  const cpu = cpuJiffies();
  try {
    const value = await fn();
    const after = cpuJiffies();
    const busy = ((after.busy - cpu.busy) / (after.total - cpu.total)) * availableParallelism();
    log(`  [${name}: ${fmt((nowMs() - start) / 1000)} s; machine busy ${fmt(busy, 2)} of ${availableParallelism()} cores (every process, the bench's own included); load average ${loadavg()[0].toFixed(2)}]`);
    return value;
  } catch (err) {
    log(`  ERROR: ${err.stack ?? err.message}`);
    results[`${name}-error`] = err.message;
    return undefined;
  }
}

function table(parts) {
  const rows = [];
  const add = (figure, value, unit, digits, target, peers, ok) =>
    rows.push([figure, Number.isFinite(value) ? `${fmt(value, digits)} ${unit}` : 'n/a', target, peers, Number.isFinite(value) ? (ok(value) ? 'meets' : 'MISSES') : '-']);
  const info = (figure, value, unit, digits, note = '') =>
    rows.push([figure, Number.isFinite(value) ? `${fmt(value, digits)} ${unit}` : 'n/a', note, '', '']);
  const c = results.crash;
  if (parts.has('crash')) {
    add(`1. crash -> running, p50 (${c?.child ?? '?'} child)`, c?.p50, 'ms', 2, '<= 3 ms', 'PM2 5.7, runit 1.5, supervisord 1026', (v) => v <= 3);
    info('   crash -> running, p90', c?.p90, 'ms', 2);
    info('   baseline: bare Node spawn + exec, p50', c?.baseline.spawn, 'ms', 2, '(same machine)', 'issue: 0.7');
    info("   baseline: Node spawn of sh -c '\"$@\"' + exec, p50", c?.baseline.sh, 'ms', 2, '(same machine)');
    info('   baseline: standby shim, go line -> program, p50', c?.baseline.standby, 'ms', 2, '(same machine)');
  }
  const up = results.up;
  if (parts.has('up')) {
    add(`2. bring ${FLEET} up (spawn -> API all running)`, up?.allRunningMs / 1000, 's', 2, '<= 3 s', 's6 4.8, runit 6.5, PM2 7.9, supervisord 15.3', (v) => v <= 3);
    info('   agent log "up" after spawn', up?.logUpMs / 1000, 's', 2);
  }
  if (parts.has('apply')) {
    info(`   spew apply ${FLEET} new: CLI returned`, results.apply?.cliMs / 1000, 's', 2, '(extra)');
    info(`   spew apply ${FLEET} new: all running`, results.apply?.allRunningMs / 1000, 's', 2, '(extra)');
  }
  const idle = results.idle;
  if (parts.has('idle')) {
    add(`3. agent RSS, idle, ${FLEET} running`, idle?.rssMb, 'MB', 1, '<= 100 MB', 'PM2 140, supervisord 46', (v) => v <= 100);
    add('3. agent CPU over 30 s idle', idle?.cpuPct, '% core', 2, '< 0.5 %', 'PM2 1.2, supervisord 0.6', (v) => v < 0.5);
    info('   the next 30 s: RSS at end', idle?.steady.rssMb, 'MB', 1, '(steady state)');
    info('   the next 30 s: CPU', idle?.steady.cpuPct, '% core', 2, '(steady state)');
  }
  const stop = results.stop;
  if (parts.has('stop')) {
    add(`4. stop all ${FLEET} (SIGTERM -> agent + all gone)`, stop?.totalMs / 1000, 's', 2, '<= 3 s', 's6 4.6, supervisord 6.4, runit 7.5, PM2 22', (v) => v <= 3);
    info('   processes left after stop', stop?.leftover, '', 0, 'should be 0');
  }
  const st = results.status;
  if (parts.has('status')) {
    add(`5. spew status, ${FLEET} listed, median`, st?.median, 'ms', 0, '<= 250 ms', 'PM2 471, supervisorctl 1684', (v) => v <= 250);
    info('   spew status, p90', st?.p90, 'ms', 0);
    info('   spew --version, median', st?.versionMedian, 'ms', 0);
    info('   node -e 0, median', st?.nodeMedian, 'ms', 0, '(Node floor)');
  }
  const w = results.watchers;
  if (parts.has('watchers')) {
    add(`6. agent CPU, ${FLEET} HTTP watchers every 5 s (steady 30 s)`, w?.cpuPct, '% core', 2, '<= 5 %', '', (v) => v <= 5);
    info(`   same ${FLEET} without watchers (${w?.baseFrom ?? '?'})`, w?.baseCpuPct, '% core', 2);
    info('   agent RSS with watchers, end of window', w?.rssMb, 'MB', 1, '(idle target 100 MB)');
    info('   agent RSS without watchers', w?.baseRssMb, 'MB', 1);
    info('   agent CPU with watchers, first 30 s (boot GC)', w?.firstCpuPct, '% core', 2);
    info('   health checks served in the 30 s', w?.requests, '', 0, '(expected 6000)');
    info('   new connections to the server in the 30 s', w?.connections, '', 0, '(0: all reused)');
  }
  const m = results.monitor;
  if (parts.has('monitor')) {
    info(`7. monitor RST -> restarted program, p50 (${m?.child ?? '?'} child)`, m?.p50, 'ms', 2, '(no target)');
    info('   monitor RST -> restarted program, p90', m?.p90, 'ms', 2);
    info('   monitor FIN -> restarted program, p50', m?.finP50, 'ms', 2);
  }
  const k = results.cascade;
  if (parts.has('cascade')) {
    info(`8. db crash -> 50 dependents started, throttled, p50`, k?.p50, 'ms', 0, `(no target; ${k?.maxRestarts ?? '?'}/${k?.windowMs ?? '?'} ms, jitter ${k?.jitterMs ?? '?'} ms)`);
    info('   same, max of the rounds', k?.max, 'ms', 0);
    add('   most restarts begun in one window', k?.maxWindow, '', 0, `<= ${k?.maxRestarts ?? '?'} (max_restarts)`, '', (v) => v <= (k?.maxRestarts ?? Infinity));
    info('   unthrottled (max_restarts 1000), p50', k?.freeP50, 'ms', 0);
  }
  const d = results.docker;
  if (parts.has('docker')) {
    add('9. docker crash -> running, p50, spew', d?.spewP50, 'ms', 0, `<= 0.8x engine (${fmt((d?.engineP50 ?? NaN) * 0.8, 0)} ms)`, 'engine --restart=always: 340 in the issue', (v) => v <= 0.8 * (d?.engineP50 ?? -Infinity));
    info('   docker crash -> running, p90, spew', d?.spewP90, 'ms', 0);
    info('   engine --restart=always, p50 (same run)', d?.engineP50, 'ms', 0);
    info('   engine --restart=always, p90 (same run)', d?.engineP90, 'ms', 0);
    info('10. 50 containers: agent spawn -> all running', d?.fiftyMs / 1000, 's', 2, '(no target)');
    info('    engine API alone, 50 create + start in parallel', d?.engineFiftyMs / 1000, 's', 2);
  }
  const b = results.binary;
  if (parts.has('binary')) {
    add('11. dist/spew --version, median', b?.versionMedian, 'ms', 0, '< 120 ms', '', (v) => v < 120);
    info('    dist/spew --version, p90', b?.versionP90, 'ms', 0);
    add(`11. dist/spew status, ${BINARY_FLEET} listed, median`, b?.statusMedian, 'ms', 0, '< 200 ms', '', (v) => v < 200);
    info('    dist/spew status, p90', b?.statusP90, 'ms', 0);
    info('    node bin/run.js --version, median', b?.nodeVersionMedian, 'ms', 0, '(the same CLI on Node)');
    info('    dist/spew size', b?.sizeMb, 'MiB', 1);
    info('    npm run build:binary', b?.buildS, 's', 1);
  }
  const cl = results.cluster;
  if (parts.has('cluster')) {
    info('12. status propagation, host to host, p50', cl?.propagation.p50, 'ms', 0, '(no target; 500 ms publishing window)');
    info('    status propagation, p99', cl?.propagation.p99, 'ms', 0);
    info('    etcd put -> watch event, p50 (floor, same run)', cl?.propagation.floorP50, 'ms', 2);
    info('13. kill -9 of an agent -> unreachable, median', cl?.unreachable.median / 1000, 's', 2, `(lease_ttl ${cl?.ttlS ?? '?'} s)`);
    info('    same, max', cl?.unreachable.max / 1000, 's', 2);
    info('14. etcd writes per host at rest', cl?.restWritesPerHostS, '/s', 2, '(0: no periodic writes)');
    add('    etcd writes, crash storm of 100 on one host', cl?.storm.writesPerS, '/s', 2, '<= 2/s (one per 500 ms window)', '', (v) => v <= 2 + (cl?.restWritesPerHostS ?? 0) * 3);
    info('    transitions in that storm', cl?.storm.transitionsPerS, '/s', 0);
    add('    times that host was unsure of its lease or lost it', cl?.storm.wavers, '', 0, '0 (lease_ttl 10 s)', '', (v) => v === 0);
    info('15. 3 agents x 300: all running', cl?.big.allRunningS, 's', 2);
    info('    all 900 seen from one host', cl?.big.allSeenS, 's', 2);
    info('    spew status listing 900 across the cluster, median', cl?.big.statusMedian, 'ms', 0);
  }
  const header = ['Figure', 'Result', 'Target', 'Peers', 'vs target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join('  ').trimEnd();
  log();
  log('== summary');
  log(line(header));
  log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) log(line(row));
}

async function main() {
  const { build: doBuild, parts } = parseArgs(process.argv.slice(2));
  installCleanupHandlers();
  const started = nowMs();
  machineFacts();
  if (doBuild) build();

  if (parts.has('crash')) results.crash = await part('1. crash-to-running latency', () => runCrash(log));

  if ([...FLEET_PARTS].some((p) => parts.has(p))) {
    const fleet = await part(`2. bring ${FLEET} sleep appliances up (first boot)`, async () => {
      const booted = await bootFleet(log);
      results.up = booted.figures;
      return booted;
    });
    if (fleet) {
      if (parts.has('idle')) results.idle = await part(`3. agent idle cost, ${FLEET} running`, () => measureIdle(fleet, log));
      if (parts.has('status')) results.status = await part(`5. spew status listing ${FLEET}`, () => measureStatus(fleet, log));
      if (parts.has('stop')) results.stop = await part(`4. stop all ${FLEET} (SIGTERM to the agent)`, () => measureStop(fleet, log));
      else await dropFleet(fleet, log);
    }
  }

  if (parts.has('apply')) results.apply = await part(`extra: spew apply of ${FLEET} on a running empty agent`, () => measureApply(log));

  if (parts.has('watchers')) results.watchers = await part(`6. watcher cost: ${FLEET} appliances with an HTTP watcher every 5 s`, () => runWatchers(log, { baseline: results.idle }));
  if (parts.has('monitor')) results.monitor = await part('7. monitor connection reset -> restart', () => runMonitor(log));
  if (parts.has('cascade')) results.cascade = await part('8. dependency crash -> 50 dependents restarted, under the throttle', () => runCascade(log));
  if (parts.has('docker')) results.docker = await part('9-10. containers: crash -> running against the engine\'s own policy; 50 started', () => runDocker(log));
  if (parts.has('binary')) results.binary = await part(`11. the single binary: build, size, --version and status with ${BINARY_FLEET} appliances`, () => runBinary(log, { build: doBuild }));

  if (parts.has('cluster')) results.cluster = await part('12-15. a cluster of three agents on three etcd members', () => runCluster(log));

  table(parts);
  log();
  log(`load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}; bench took ${fmt((nowMs() - started) / 1000)} s`);
  const killed = cleanupEverything();
  if (killed) log(`cleanup: killed ${killed} leftover process(es)`);
  const errors = Object.keys(results).filter((k) => k.endsWith('-error'));
  if (errors.length > 0) process.exitCode = 1;
}

await main();
