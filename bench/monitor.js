// Figure 7: from a monitor's connection reset to the appliance's restart.
//
// One appliance, `mon`, runs the crash part's C child (it appends "NS PID" to a file, the NS read
// from CLOCK_REALTIME as the first thing it does, then pause()s), with
//   [[mon.monitors]] type = "tcp" address = "127.0.0.1:PORT"    restart = { watcher = "restart" }
// where PORT is a TCP server in the bench process. The bench waits for `mon` to be `running`
// (its monitor connected), reads the clock, and resets the server's side of that connection
// (socket.resetAndDestroy(): an RST), then waits for the next start line. Latency = program
// start - reset, on one clock (see crash.js). The agent's events.log places the steps in
// between, at millisecond resolution: the `watcher` (down) record, the `stop` record (the old
// process has ended, after SIGTERM) and the `started` record (spawn returned).
// Every third round closes the connection with a FIN (socket.destroy()) instead.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { nextLine, prepareChild, readLines, toMs } from './crash.js';
import {
  distributionRow, eventsOffset, makeTemp, median, nowMs, percentile, readEvents, sleep, startAgent, stopAgent,
  waitForAgent, writeInstance,
} from './lib.js';

const RESETS = 20;
const FINS = 10;
const WARMUP = 2;
const SETTLE_MS = 50;

function startServer() {
  const sockets = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resume();
    sockets.push(socket);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      sockets,
      /** The newest accepted connection that is still open. */
      live: () => sockets.filter((s) => !s.destroyed).at(-1),
      close: () => {
        for (const s of sockets) s.destroy();
        server.close();
      },
    }));
  });
}

export async function runMonitor(log) {
  const dir = makeTemp('monitor');
  const child = prepareChild(dir);
  const server = await startServer();
  const file = join(dir, 'starts');
  const instance = writeInstance(dir, {
    appliances: [
      '[mon]',
      `command = ${JSON.stringify(child.argv(file))}`,
      'restart = { watcher = "restart" }',
      '[[mon.monitors]]',
      'type = "tcp"',
      `address = "127.0.0.1:${server.port}"`,
      '',
    ].join('\n'),
  });
  log(`  child: ${child.describe}`);
  log(`  appliance: restart = { watcher = "restart" }, [[mon.monitors]] type = "tcp" address = "127.0.0.1:${server.port}" (a server in the bench)`);
  const agent = startAgent(instance, { label: 'monitor' });
  const rounds = { rst: { total: [], watcher: [], stop: [], started: [] }, fin: { total: [], watcher: [], stop: [], started: [] } };
  try {
    const client = await waitForAgent(agent);
    let seen = (await nextLine(file, 0)).count;
    let shim = 0;
    for (let i = 0; i < WARMUP + RESETS + FINS; i++) {
      // After the warm-up, every third round is a FIN, so both kinds meet the same machine.
      const how = i >= WARMUP && (i - WARMUP) % 3 === 2 && rounds.fin.total.length < FINS ? 'fin' : 'rst';
      // The run that wrote the last line is `running` (its monitor connected) under a new shim,
      // and the server holds that connection.
      const deadline = nowMs() + 10_000;
      let socket;
      for (;;) {
        const [status] = await client.status(['mon']);
        socket = server.live();
        if (status.state === 'running' && status.pid && status.pid !== shim && socket && readLines(file).length === seen) {
          shim = status.pid;
          break;
        }
        if (nowMs() > deadline) throw new Error(`round ${i}: mon not back to running with its monitor connected (${status.state}, pid ${status.pid})`);
        await sleep(5);
      }
      await sleep(SETTLE_MS);
      const from = eventsOffset(instance.stateDir);
      const resetAt = process.hrtime.bigint() + child.offsetNs;
      if (how === 'rst') socket.resetAndDestroy();
      else socket.destroy();
      const next = await nextLine(file, seen);
      seen = next.count;
      if (i < WARMUP) continue;
      const r = rounds[how];
      r.total.push(toMs(next.ns - resetAt));
      // The records of this round, on the wall clock (ms): resetAt is CLOCK_REALTIME too.
      await sleep(20);
      const records = readEvents(instance.stateDir, from).records.filter((x) => x.name === 'mon');
      const at = (kind) => records.find((x) => x.event.kind === kind)?.ms;
      const resetMs = toMs(resetAt);
      for (const kind of ['watcher', 'stop', 'started']) {
        const t = at(kind);
        if (t !== undefined) r[kind].push(t - resetMs || 0);
      }
    }
    const [status] = await client.status(['mon']);
    log(`  ${WARMUP} warm-up + ${rounds.rst.total.length} resets (RST) + ${rounds.fin.total.length} closes (FIN), interleaved; mon now ${status.state}, ${status.restarts} restarts`);
  } finally {
    await stopAgent(agent);
    server.close();
  }
  const row = (name, values, digits = 2) => distributionRow(name, values, { width: 52, digits });
  const { rst, fin } = rounds;
  log(row('RST -> next program start (C child\'s clock)', rst.total));
  log(row('  RST -> events.log `watcher` (down) record', rst.watcher, 0));
  log(row('  RST -> events.log `stop` record (old process gone)', rst.stop, 0));
  log(row('  RST -> events.log `started` record', rst.started, 0));
  log(row('FIN -> next program start (C child\'s clock)', fin.total));
  log('  (events.log times are whole milliseconds; the program start is the C child\'s own clock read)');
  return {
    child: child.kind,
    p50: median(rst.total),
    p90: percentile(rst.total, 90),
    finP50: median(fin.total),
    watcherP50: median(rst.watcher),
    stopP50: median(rst.stop),
  };
}
