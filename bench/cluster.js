// Figures 12-16: a cluster of three agents on three real etcd members, all on loopback.
//
//  12. status propagation: a crash on one host -> the restart seen in another host's status
//      (p50/p99; the floor: etcd's own put -> a watcher on another connection, same run);
//  13. a killed agent (kill -9) -> seen `unreachable` by another (its lease_ttl 3 s);
//  14. etcd writes (raft proposals) per second per host at rest, and under a crash storm of
//      100 appliances (coalescing bounds it), with the transitions they carried. The storm's
//      host keeps the default lease_ttl (10 s): with 3 s, on 2 cores loaded by the storm and
//      three etcd members, its keepalives missed their deadline, it stopped publishing and
//      registered again, so its few writes measured starvation, not coalescing. The figure
//      says how often its membership wavered during the storm;
//  15. 3 agents x 300 appliances: bring-up, and `spew status` listing all 900 from one host.
// Reschedule is not built yet, so it has no figure.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { CLI, TAG_VAR, childrenOf, eventsOffset, fleetFile, fmt, makeTemp, median, newTag, nowMs, percentile, readEvents, sleep, startAgent, stopAgent, timeCommand, waitForAgent, writeInstance } from './lib.js';
import { pollUntilRunning } from './fleet.js';

const TTL_S = 3;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

async function startEtcd(n = 3) {
  const dir = makeTemp('etcd');
  const tag = newTag('etcd');
  const members = [];
  for (let i = 0; i < n; i++) members.push({ name: `m${i}`, client: await freePort(), peer: await freePort() });
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  for (const m of members) {
    spawn('etcd', [
      `--name=${m.name}`, `--data-dir=${join(dir, m.name)}`,
      `--listen-client-urls=http://127.0.0.1:${m.client}`, `--advertise-client-urls=http://127.0.0.1:${m.client}`,
      `--listen-peer-urls=http://127.0.0.1:${m.peer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${m.peer}`,
      `--initial-cluster=${initial}`, '--initial-cluster-state=new', `--initial-cluster-token=bench-${tag}`,
      '--logger=zap', '--log-outputs=stderr',
    ], { stdio: 'ignore', detached: true, env: { ...process.env, [TAG_VAR]: tag } });
  }
  const endpoints = members.map((m) => `http://127.0.0.1:${m.client}`);
  const ctl = (...args) => spawnSync('etcdctl', [`--endpoints=${endpoints.join(',')}`, '--dial-timeout=300ms', '--command-timeout=2s', ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  const deadline = nowMs() + 20_000;
  while (ctl('endpoint', 'health').status !== 0) {
    if (nowMs() > deadline) throw new Error('etcd members did not become healthy');
    await sleep(100);
  }
  return { endpoints, ctl, tag };
}

/** Raft proposals committed, summed over the members: every write etcd makes (keepalives are not). */
async function proposals(endpoints) {
  let total = 0;
  for (const url of endpoints) {
    const text = await (await fetch(`${url}/metrics`)).text();
    total = Math.max(total, Number(/^etcd_server_proposals_committed_total (\S+)$/m.exec(text)?.[1] ?? NaN));
  }
  return total;
}

function clusterTable(endpoints, name, ttlS) {
  return ['[cluster]', `etcd = ${JSON.stringify(endpoints)}`, `name = "${name}"`, 'cluster = "bench"', `lease_ttl = "${ttlS}s"`].join('\n');
}

async function startHost(endpoints, name, appliances, ttlS = TTL_S) {
  const dir = makeTemp(`cluster-${name}`);
  const instance = writeInstance(dir, { appliances, supervision: { max_restarts: 1000 }, tables: clusterTable(endpoints, name, ttlS) });
  const agent = startAgent(instance, { label: `cluster-${name}` });
  const client = await waitForAgent(agent);
  return { name, instance, agent, client };
}

async function joined(client, n, timeoutMs = 30_000) {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    try {
      const answer = await client.hosts();
      if (answer.hosts.filter((h) => h.state === 'up').length >= n) return answer;
    } catch {
      // not yet
    }
    if (nowMs() > deadline) throw new Error(`fewer than ${n} hosts up after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Lines in the agent's log where its membership wavered: unsure of its lease, or it expired. */
function wavers(logDir) {
  const text = readFileSync(join(logDir, 'agent.log'), 'utf8');
  return text.split('\n').filter((l) => l.includes('cluster: no keepalive') || l.includes('registering again')).length;
}

/** etcd's own floor: a put on one connection -> the event on a watcher's, p50 over `n`. */
function etcdFloor(ctl, n = 20) {
  const script = `
    const { Etcd3 } = require(${JSON.stringify(join(process.cwd(), 'node_modules', 'etcd3'))});
    const hosts = ${JSON.stringify(ctl.endpoints)};
    (async () => {
      const a = new Etcd3({ hosts }), b = new Etcd3({ hosts });
      const w = await b.watch().key('/bench/floor').create();
      const times = [];
      let sent = 0;
      w.on('put', () => { times.push(performance.now() - sent); });
      for (let i = 0; i < ${n}; i++) { sent = performance.now(); await a.put('/bench/floor').value(String(i)); await new Promise((r) => setTimeout(r, 30)); }
      console.log(JSON.stringify(times));
      await w.cancel(); a.close(); b.close();
    })();`;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: process.cwd() });
  try {
    return JSON.parse(out.stdout.trim());
  } catch {
    return [];
  }
}

export async function runCluster(log) {
  const etcd = await startEtcd(3);
  etcd.ctl.endpoints = etcd.endpoints;
  const { endpoints } = etcd;
  const webFile = '[web]\ncommand = ["sleep", "100000"]\nrestart = "always"\n';
  const hosts = await Promise.all([
    startHost(endpoints, 'alpha', webFile),
    startHost(endpoints, 'beta', undefined),
    startHost(endpoints, 'gamma', undefined, 10),
  ]);
  const [alpha, beta, gamma] = hosts;
  await joined(beta.client, 3);
  await pollUntilRunning(alpha.agent, alpha.client, 1);
  const figures = { ttlS: TTL_S };

  // 12. status propagation.
  const lags = [];
  for (let i = 0; i < 20; i++) {
    const [web] = await alpha.client.status(['web']);
    const child = childrenOf(web.pid)[0];
    if (child === undefined) throw new Error('no program under the shim of web');
    const killedAt = nowMs();
    process.kill(child, 'SIGKILL');
    for (;;) {
      const answer = await beta.client.statusAnswer([], { hosts: ['alpha'] });
      const seen = answer.cluster?.elsewhere.find((a) => a.name === 'web');
      if (seen && seen.restarts > web.restarts && seen.state === 'running') break;
      if (nowMs() - killedAt > 10_000) throw new Error('the restart was not seen from beta within 10 s');
      await sleep(5);
    }
    lags.push(nowMs() - killedAt);
    await sleep(200);
  }
  const floor = etcdFloor(etcd.ctl);
  figures.propagation = { p50: median(lags), p99: percentile(lags, 99), floorP50: median(floor) };
  log(`  status propagation (crash on alpha -> restart in beta's status): p50 ${fmt(figures.propagation.p50, 0)} ms, p99 ${fmt(figures.propagation.p99, 0)} ms over ${lags.length}; publishing window 500 ms; etcd put -> watch p50 ${fmt(figures.propagation.floorP50, 2)} ms`);

  // 14. writes at rest, then under a crash storm of 100 appliances on gamma.
  const atRestS = 10;
  let before = await proposals(endpoints);
  await sleep(atRestS * 1000);
  figures.restWritesPerHostS = ((await proposals(endpoints)) - before) / atRestS / hosts.length;
  log(`  etcd writes at rest: ${fmt(figures.restWritesPerHostS, 2)} per second per host (keepalives are not writes)`);
  const stormFile = Array.from({ length: 100 }, (_, i) => `[storm${i}]\ncommand = "sleep 0.$((RANDOM % 5 + 1)); exit 1"\nrestart = "always"\n`).join('\n');
  const stormDir = makeTemp('storm');
  writeFileSync(join(stormDir, 'storm.toml'), stormFile);
  const applied = spawnSync(process.execPath, [CLI, 'apply', '--socket', gamma.instance.socket, join(stormDir, 'storm.toml')], { encoding: 'utf8' });
  if (applied.status !== 0) throw new Error(`apply of the storm failed: ${applied.stderr}`);
  await sleep(2000);
  const stormS = 10;
  const offset = eventsOffset(gamma.instance.stateDir);
  const logBefore = wavers(gamma.instance.logDir);
  before = await proposals(endpoints);
  await sleep(stormS * 1000);
  const stormWrites = (await proposals(endpoints)) - before;
  const transitions = readEvents(gamma.instance.stateDir, offset).records.length;
  figures.storm = { writesPerS: stormWrites / stormS, transitionsPerS: transitions / stormS, wavers: wavers(gamma.instance.logDir) - logBefore };
  log(`  crash storm, 100 appliances on gamma: ${fmt(figures.storm.transitionsPerS, 0)} transitions/s, ${fmt(figures.storm.writesPerS, 2)} etcd writes/s in all (bounded by one transaction per 500 ms window per host); gamma's membership wavered ${figures.storm.wavers} times`);
  spawnSync(process.execPath, [CLI, 'remove', '--socket', gamma.instance.socket, ...Array.from({ length: 100 }, (_, i) => `storm${i}`)], { encoding: 'utf8' });

  // 13. a killed agent -> unreachable.
  const seenAfter = [];
  for (let i = 0; i < 3; i++) {
    const killedAt = nowMs();
    process.kill(beta.agent.pid, 'SIGKILL');
    for (;;) {
      const answer = await alpha.client.hosts();
      if (answer.hosts.find((h) => h.name === 'beta')?.state === 'unreachable') break;
      if (nowMs() - killedAt > 20_000) throw new Error('beta was not seen unreachable within 20 s');
      await sleep(20);
    }
    seenAfter.push(nowMs() - killedAt);
    await beta.agent.exited;
    beta.agent = startAgent(beta.instance, { label: 'cluster-beta' });
    beta.client = await waitForAgent(beta.agent);
    await joined(alpha.client, 3);
  }
  figures.unreachable = { median: median(seenAfter), max: Math.max(...seenAfter) };
  log(`  kill -9 of an agent -> unreachable at another: median ${fmt(figures.unreachable.median / 1000, 2)} s, max ${fmt(figures.unreachable.max / 1000, 2)} s (lease_ttl ${TTL_S} s)`);

  for (const h of hosts) await stopAgent(h.agent);

  // 15. 3 agents x 300 appliances.
  const upStart = nowMs();
  const big = await Promise.all(['alpha', 'beta', 'gamma'].map((name) => startHost(endpoints, `${name}300`, fleetFile(300))));
  await Promise.all(big.map((h) => pollUntilRunning(h.agent, h.client, 300)));
  const allRunningS = (nowMs() - upStart) / 1000;
  for (;;) {
    const answer = await big[0].client.statusAnswer([]);
    const running = answer.appliances.length + (answer.cluster?.elsewhere.filter((a) => a.state === 'running' && a.host.endsWith('300')).length ?? 0);
    if (running >= 900) break;
    if ((nowMs() - upStart) / 1000 > 120) {
      const seen = {};
      for (const a of answer.cluster?.elsewhere ?? []) seen[`${a.host} ${a.state}`] = (seen[`${a.host} ${a.state}`] ?? 0) + 1;
      throw new Error(`900 not seen from one host within 120 s: ${answer.appliances.length} here, elsewhere ${JSON.stringify(seen)}`);
    }
    await sleep(50);
  }
  const allSeenS = (nowMs() - upStart) / 1000;
  const statusRuns = [];
  for (let i = 0; i < 7; i++) statusRuns.push((await timeCommand([process.execPath, CLI, 'status', '--socket', big[0].instance.socket])).ms);
  figures.big = { allRunningS, allSeenS, statusMedian: median(statusRuns) };
  log(`  3 agents x 300: all running ${fmt(allRunningS, 2)} s, all 900 seen from one host ${fmt(allSeenS, 2)} s; spew status listing 900 across the cluster, median ${fmt(figures.big.statusMedian, 0)} ms`);
  for (const h of big) await stopAgent(h.agent);
  return figures;
}
