// Figure 6: what 1000 HTTP watchers cost the agent.
//
// 1000 `sleep` appliances, each with `[[NAME.watchers]] type = "http"` every 5 s against ONE
// keep-alive HTTP server on 127.0.0.1. The server runs in a separate Node process (so its CPU
// is not the agent's) and counts requests and connections, which the bench asks it for over
// IPC. Once all 1000 are `running` (every watcher has passed once), the agent's utime+stime and
// RSS are sampled exactly as the idle part does (bench/fleet.js measureIdle): a first 30 s
// window from 2 s after, which takes the one-off GC after the busy boot, then the figure, the
// next 30 s (the steady state). The same fleet without watchers comes from the idle part when it
// ran in the same bench, or else is booted and measured here on the same schedule.
import { spawn } from 'node:child_process';
import { FLEET, bootFleet, dropFleet, measureIdle } from './fleet.js';
import { TAG_VAR, clockTicksPerSecond, fleetNames, fmt, killTagged, newTag, procUsage, readEvents, sleep } from './lib.js';

const INTERVAL = '5s';
/** Longer than the interval, so each connection is reused from check to check. */
const SERVER_KEEPALIVE_MS = 60_000;

const SERVER = String.raw`
const http = require('node:http');
let requests = 0, connections = 0, open = 0;
const server = http.createServer((req, res) => {
  requests++;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
  res.end('ok\n');
});
server.keepAliveTimeout = Number(process.env.KEEPALIVE_MS);
server.on('connection', (socket) => {
  connections++;
  open++;
  socket.on('close', () => open--);
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', () => process.send({ requests, connections, open }));
process.on('disconnect', () => process.exit(0));
`;

/** Starts the health server in its own process; answers its port and a way to ask its counters. */
export async function startServer() {
  const tag = newTag('health-server');
  const child = spawn(process.execPath, ['-e', SERVER], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, [TAG_VAR]: tag, KEEPALIVE_MS: String(SERVER_KEEPALIVE_MS) },
  });
  const { port } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`health server exited ${code}`)));
  });
  // One question at a time: answers come back in order.
  let chain = Promise.resolve();
  const stats = () => {
    const answer = chain.then(() => new Promise((resolve) => {
      child.once('message', resolve);
      child.send('stats');
    }));
    chain = answer.catch(() => undefined);
    return answer;
  };
  const stop = () => {
    if (child.connected) child.disconnect();
    killTagged(tag);
  };
  return { pid: child.pid, port, stats, stop };
}

export function watcherFleetFile(n, port) {
  return fleetNames(n).map((name) => [
    `[${name}]`,
    'command = ["sleep", "100000"]',
    `[[${name}.watchers]]`,
    'type = "http"',
    `url = "http://127.0.0.1:${port}/health"`,
    `interval = "${INTERVAL}"`,
    '',
  ].join('\n')).join('\n');
}

/**
 * `baseline`: the idle part's figures from this bench run, when it ran; else a fleet without
 * watchers is measured here first.
 */
export async function runWatchers(log, { baseline } = {}) {
  const seconds = 30;
  let base = baseline;
  let baseFrom = 'the idle part of this run';
  if (!base) {
    baseFrom = 'measured here, same schedule';
    log(`  baseline: ${FLEET} sleep appliances WITHOUT watchers (the idle part did not run)`);
    const plain = await bootFleet(log, FLEET, { label: 'plain' });
    try {
      base = await measureIdle(plain, log, seconds);
    } finally {
      await dropFleet(plain, log);
    }
  }

  const server = await startServer();
  log(`  health server: separate Node process (pid ${server.pid}) on 127.0.0.1:${server.port}, keepAliveTimeout ${SERVER_KEEPALIVE_MS / 1000} s`);
  log(`  with watchers: ${FLEET} sleep appliances, each [[NAME.watchers]] type = "http" url = "http://127.0.0.1:${server.port}/health" interval = "${INTERVAL}"`);
  let fleet;
  try {
    fleet = await bootFleet(log, FLEET, { appliances: watcherFleetFile(FLEET, server.port), label: 'watchers' });
    const hz = clockTicksPerSecond();
    const edges = { [0]: undefined, [seconds]: undefined, [2 * seconds]: undefined };
    const serverTicks = {};
    const eventsAt = {};
    const figures = await measureIdle(fleet, log, seconds, {
      onSample: (s) => {
        if (!(s in edges)) return;
        edges[s] = server.stats();
        serverTicks[s] = procUsage(server.pid).ticks;
        eventsAt[s] = readEvents(fleet.instance.stateDir).records.length;
      },
    });
    const [a, b, c] = await Promise.all([edges[0], edges[seconds], edges[2 * seconds]]);
    const window = (x, y, from, to) => ({
      requests: y.requests - x.requests,
      connections: y.connections - x.connections,
      open: y.open,
      serverCpuPct: ((serverTicks[to] - serverTicks[from]) / hz / (to - from)) * 100,
      events: eventsAt[to] - eventsAt[from],
    });
    const first = window(a, b, 0, seconds);
    const steady = window(b, c, seconds, 2 * seconds);
    const expected = (FLEET * seconds) / Number.parseFloat(INTERVAL);
    log(`  server, from the agent's boot to the first sample: ${a.requests} requests, ${a.connections} connections`);
    for (const [name, w] of [['first 30 s', first], ['next 30 s (the figure)', steady]]) {
      log(`  server, ${name}: ${w.requests} requests (${FLEET} every ${INTERVAL} would be ${fmt(expected, 0)}), ${w.connections} new connections, ${w.open} open at its end; server CPU ${fmt(w.serverCpuPct, 2)} % of one core; ${w.events} agent events`);
    }
    const list = await fleet.client.status();
    const running = list.filter((x) => x.state === 'running').length;
    const up = list.filter((x) => x.watchers.length === 1 && x.watchers[0].state === 'up').length;
    log(`  afterwards: ${running}/${FLEET} running, ${up}/${FLEET} watchers up`);
    const result = {
      cpuPct: figures.steady.cpuPct,
      rssMb: figures.steady.rssMb,
      firstCpuPct: figures.cpuPct,
      firstRssMb: figures.rssMb,
      hwmMb: figures.hwmMb,
      baseCpuPct: base.steady.cpuPct,
      baseRssMb: base.steady.rssMb,
      baseFirstCpuPct: base.cpuPct,
      baseFrom,
      requests: steady.requests,
      connections: steady.connections,
      serverCpuPct: steady.serverCpuPct,
      running,
    };
    log(`  agent, steady 30 s: with watchers ${fmt(result.cpuPct, 2)} % of a core, VmRSS ${fmt(result.rssMb)} MB; without (${baseFrom}) ${fmt(result.baseCpuPct, 2)} %, ${fmt(result.baseRssMb)} MB; the watchers add ${fmt(result.cpuPct - result.baseCpuPct, 2)} % and ${fmt(result.rssMb - result.baseRssMb)} MB`);
    log(`  agent, first 30 s (boot GC included): with watchers ${fmt(result.firstCpuPct, 2)} %, without ${fmt(result.baseFirstCpuPct, 2)} %`);
    return result;
  } finally {
    if (fleet) await dropFleet(fleet, log);
    server.stop();
    // Let the last connections close before whatever part comes next.
    await sleep(100);
  }
}
