// Figures 9 and 10: container appliances, against the Docker engine's own restart policy.
//
// 9. Crash-to-running of a container: the container runs the static C stamp program (crash.js)
//    from a bind-mounted dir; it appends "NS PID" at its start, then pause()s. The bench kills
//    the container's process from the host (SIGKILL to its host PID: the engine's policy ignores
//    `docker kill`), reading the clock just before, and waits for the next line. The same image
//    and program run under spew (restart = "always") and under `docker run --restart=always`,
//    in the same run. The engine doubles its restart delay (from 100 ms) for a container that
//    ran less than 10 s, so its crashes are spaced ENGINE_SETTLE_MS apart; spew has no such
//    delay, and its crashes are spaced SPEW_SETTLE_MS apart.
// 10. Time to start 50 containers: a first boot of an agent with 50 container appliances, from
//    the agent's spawn until the API shows all running; beside it, the engine alone creating and
//    starting 50 containers through its API, 50 at a time.
//
// Needs a Docker engine on /var/run/docker.sock (or DOCKER_HOST), cc, and /bin/busybox. Every
// container it makes carries the label spew.bench=1 and is removed at the end.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import Docker from 'dockerode';
import { prepareChild, nextLine, readLines, toMs } from './crash.js';
import { distributionRow, makeTemp, median, nowMs, percentile, sleep, startAgent, stopAgent, waitForAgent, writeInstance } from './lib.js';

const IMAGE = 'spew-bench-busybox';
const TAG = '1.0.0';
const SPEW_CRASHES = 30;
const ENGINE_CRASHES = 12;
const WARMUP = 2;
const SPEW_SETTLE_MS = 300;
const ENGINE_SETTLE_MS = 10_500;
const CONTAINERS = 50;
const LABEL = { 'spew.bench': '1' };

const docker = new Docker();

async function ensureImage() {
  const found = await docker.getImage(`${IMAGE}:${TAG}`).inspect().then(() => true, () => false);
  if (found) return;
  const root = makeTemp('docker-root');
  mkdirSync(join(root, 'bin'));
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(root, 'bin', applet));
  await execa('sh', ['-c', `tar -C "$1" -c . | docker import --change 'CMD ["sh"]' - "$2"`, 'import', root, `${IMAGE}:${TAG}`]);
}

async function removeBenchContainers() {
  const list = await docker.listContainers({ all: true, filters: { label: ['spew.bench=1'] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

/** Kills `pidOf()`'s process `crashes + WARMUP` times, `settleMs` apart; answers the latencies. */
async function crashLoop({ file, offsetNs, crashes, settleMs, pidOf }) {
  let seen = (await nextLine(file, 0, 60_000)).count;
  const latencies = [];
  for (let i = 0; i < WARMUP + crashes; i++) {
    const pid = await pidOf();
    await sleep(settleMs);
    const killedAt = process.hrtime.bigint() + offsetNs;
    process.kill(pid, 'SIGKILL');
    const next = await nextLine(file, seen, 60_000);
    seen = next.count;
    if (i >= WARMUP) latencies.push(toMs(next.ns - killedAt));
  }
  return latencies;
}

/** A dir for the container's /stamp, holding the stamp program; answers the dir and the argv. */
function stampDir(child, label) {
  const dir = makeTemp(label);
  copyFileSync(child.binary, join(dir, 'stamp'));
  chmodSync(join(dir, 'stamp'), 0o755);
  return { dir, argv: ['/stamp/stamp', '/stamp/starts'] };
}

async function spewCrash(child, log) {
  const { dir, argv } = stampDir(child, 'docker-crash');
  const instance = writeInstance(dir, {
    appliances: [
      '[crashy]',
      'type = "docker"',
      `image = "${IMAGE}"`,
      `tag = "${TAG}"`,
      `command = ${JSON.stringify(argv)}`,
      'restart = "always"',
      '[crashy.runneropts]',
      `volumes = ["${dir}:/stamp"]`,
      'network = "none"',
      'labels = { "spew.bench" = "1" }',
      '',
    ].join('\n'),
  });
  const agent = startAgent(instance, { label: 'docker-crash' });
  try {
    const client = await waitForAgent(agent);
    let last = 0;
    const pidOf = async () => {
      const deadline = nowMs() + 30_000;
      for (;;) {
        const [status] = await client.status(['crashy']);
        // The host PID of the container's process; a new one means the restart is seen.
        if (status.state === 'running' && status.pid && status.pid !== last) return (last = status.pid);
        if (nowMs() > deadline) throw new Error(`crashy not running again (${status.state}: ${status.reason})`);
        await sleep(5);
      }
    };
    const latencies = await crashLoop({ file: join(dir, 'starts'), offsetNs: child.offsetNs, crashes: SPEW_CRASHES, settleMs: SPEW_SETTLE_MS, pidOf });
    const [status] = await client.status(['crashy']);
    log(`  spew: ${WARMUP} warm-up + ${latencies.length} measured crashes, ${SPEW_SETTLE_MS} ms apart; appliance ${status.state}, ${status.restarts} restarts`);
    return latencies;
  } finally {
    await stopAgent(agent);
  }
}

async function engineCrash(child, log) {
  const { dir, argv } = stampDir(child, 'docker-engine-crash');
  const container = await docker.createContainer({
    Image: `${IMAGE}:${TAG}`,
    Cmd: argv,
    Labels: LABEL,
    HostConfig: { RestartPolicy: { Name: 'always' }, Binds: [`${dir}:/stamp`], NetworkMode: 'none' },
  });
  await container.start();
  try {
    let last = 0;
    const pidOf = async () => {
      const deadline = nowMs() + 30_000;
      for (;;) {
        const info = await container.inspect();
        if (info.State.Running && info.State.Pid && info.State.Pid !== last) return (last = info.State.Pid);
        if (nowMs() > deadline) throw new Error('the engine did not restart the container');
        await sleep(5);
      }
    };
    const latencies = await crashLoop({ file: join(dir, 'starts'), offsetNs: child.offsetNs, crashes: ENGINE_CRASHES, settleMs: ENGINE_SETTLE_MS, pidOf });
    log(`  engine: ${WARMUP} warm-up + ${latencies.length} measured crashes, ${ENGINE_SETTLE_MS} ms apart (its restart delay resets after 10 s up); ${readLines(join(dir, 'starts')).length} starts`);
    return latencies;
  } finally {
    await container.remove({ force: true });
  }
}

async function spewFifty(log) {
  const dir = makeTemp('docker-fifty');
  const tables = Array.from({ length: CONTAINERS }, (_, i) => [
    `[c${i}]`, 'type = "docker"', `image = "${IMAGE}"`, `tag = "${TAG}"`, 'command = ["sleep", "100000"]', 'stop_timeout = "1s"',
    `[c${i}.runneropts]`, 'network = "none"', 'labels = { "spew.bench" = "1" }', '',
  ].join('\n'));
  const instance = writeInstance(dir, { appliances: tables.join('\n'), stopTimeout: '1s' });
  const agent = startAgent(instance, { label: 'docker-fifty' });
  try {
    const client = await waitForAgent(agent);
    for (;;) {
      const list = await client.status();
      if (list.length === CONTAINERS && list.every((a) => a.state === 'running')) break;
      const failed = list.find((a) => a.state === 'failed');
      if (failed) throw new Error(`${failed.name} failed: ${failed.reason}`);
      if (nowMs() - agent.spawnedAt > 120_000) throw new Error('50 containers not running within 120 s');
      await sleep(10);
    }
    const ms = nowMs() - agent.spawnedAt;
    log(`  spew: agent spawned -> ${CONTAINERS} containers running (API): ${(ms / 1000).toFixed(2)} s`);
    return ms;
  } finally {
    await stopAgent(agent, 60_000);
    await removeBenchContainers();
  }
}

async function engineFifty(log) {
  const start = nowMs();
  await Promise.all(Array.from({ length: CONTAINERS }, async () => {
    const c = await docker.createContainer({ Image: `${IMAGE}:${TAG}`, Cmd: ['sleep', '100000'], Labels: LABEL, HostConfig: { NetworkMode: 'none' } });
    await c.start();
  }));
  const ms = nowMs() - start;
  log(`  engine API alone: create + start ${CONTAINERS}, all in parallel: ${(ms / 1000).toFixed(2)} s`);
  await removeBenchContainers();
  return ms;
}

export async function runDocker(log) {
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) throw new Error('no Docker engine answers (start dockerd first)');
  await ensureImage();
  await removeBenchContainers();
  const child = prepareChild(makeTemp('docker-stamp'), { isStatic: true });
  if (child.kind !== 'cc') throw new Error(`the container bench needs cc to build a static stamp program: ${child.describe}`);
  try {
    const spew = await spewCrash(child, log);
    const engine = await engineCrash(child, log);
    log(distributionRow('  spew', spew));
    log(distributionRow('  engine', engine));
    const fifty = await spewFifty(log);
    const engineFiftyMs = await engineFifty(log);
    return {
      spewP50: median(spew), spewP90: percentile(spew, 90), engineP50: median(engine), engineP90: percentile(engine, 90),
      fiftyMs: fifty, engineFiftyMs,
    };
  } finally {
    await removeBenchContainers();
  }
}
