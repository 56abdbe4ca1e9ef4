import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineState } from '../../../src/runners/docker/engine-events.js';
import { DockerRunner } from '../../../src/runners/docker/docker-runner.js';
import type { DockerRun } from '../../../src/runners/docker/docker-run.js';
import { ensureBusyboxImage, startPrivateEngine, type PrivateEngine } from '../../support/docker-engine.js';
import { waitFor } from '../../support/wait-for.js';
import { def, IMAGE_NAME, IMAGE_TAG, RecordingCapture } from './docker-kit.js';

// A dockerd of this file's own, so stopping it disturbs no other test; `--live-restore` keeps
// containers running while it is down, as an engine upgrade on a production host would.
let engine: PrivateEngine;
let docker: Docker;
let runner: DockerRunner;
const states: EngineState[] = [];
const captures: RecordingCapture[] = [];

async function prepared(d: ReturnType<typeof def>): Promise<RecordingCapture> {
  const recording = new RecordingCapture();
  captures.push(recording);
  await runner.prepare([{ def: d, capture: recording.capture }]);
  return recording;
}

beforeAll(async () => {
  engine = await startPrivateEngine(['--live-restore']);
  await ensureBusyboxImage(IMAGE_NAME, IMAGE_TAG, { socket: engine.socket });
  docker = new Docker({ socketPath: engine.socket });
  runner = new DockerRunner({ docker, backoff: { initialMs: 50, maxMs: 300 }, onEngineState: (s) => states.push(s) });
});

afterAll(async () => {
  runner?.detach();
  for (const c of captures) c.close();
  await engine?.destroy();
});

describe('the Docker runner across an engine restart', () => {
  it('shows the engine unreachable, refuses starts clearly meanwhile, reconnects and reconciles every run', async () => {
    await waitFor('the event stream', () => runner.engineState() === 'reachable');
    const survivor = def('survivor', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done', { network: 'none' });
    const casualty = def('casualty', 'sleep 1000', { network: 'none' });
    const rec = await prepared(survivor);
    await prepared(casualty);
    const a = runner.start(survivor) as DockerRun;
    const b = runner.start(casualty) as DockerRun;
    const [pidA, pidB] = await Promise.all([a.up, b.up]);
    await waitFor('output', () => rec.lines.length >= 2);
    let bEnded = false;
    void b.exited.then(() => (bEnded = true));

    await engine.stop();
    await waitFor('the runner to see the engine gone', () => runner.engineState() === 'unreachable');
    // While no engine watches: one container dies (killed from the host), the other runs on.
    process.kill(pidB, 'SIGKILL');
    const refused = await runner.start(def('too-soon', 'true', { network: 'none' })).exited;
    expect(refused).toMatchObject({ kind: 'spawn-error' });
    expect((refused as { message: string }).message).toMatch(/^docker engine unreachable/);
    const linesWhileDown = rec.lines.length;
    expect(bEnded).toBe(false);

    await engine.start();
    await waitFor('the runner to reconnect', () => runner.engineState() === 'reachable');
    expect(states).toEqual(['reachable', 'unreachable', 'reachable']);
    expect(await b.exited).toEqual({ kind: 'signal', signal: 'SIGKILL' });
    // The survivor was not restarted: same PID, its output followed on after the reconnection.
    await waitFor('output after the restart', () => rec.lines.length > linesWhileDown + 2);
    expect(a.pid).toBe(pidA);
    const ticks = rec.texts('out').map((t) => Number(t.replace('tick ', '')));
    expect(new Set(ticks).size).toBe(ticks.length);
    a.kill();
    expect(await a.exited).toEqual({ kind: 'signal', signal: 'SIGKILL' });
  });
});

describe('the Docker runner across an engine restart without live-restore', () => {
  it('reports the containers the stopping engine took down with their exit codes', async () => {
    const plain = await startPrivateEngine();
    try {
      await ensureBusyboxImage(IMAGE_NAME, IMAGE_TAG, { socket: plain.socket });
      const own = new DockerRunner({ docker: new Docker({ socketPath: plain.socket }), backoff: { initialMs: 50, maxMs: 300 } });
      const d = def('graceful', "trap 'exit 9' TERM; while :; do sleep 0.1; done", { network: 'none' });
      const recording = new RecordingCapture();
      captures.push(recording);
      await own.prepare([{ def: d, capture: recording.capture }]);
      const handle = own.start(d) as DockerRun;
      await handle.up;
      await plain.stop();
      await plain.start();
      expect(await handle.exited).toEqual({ kind: 'exit', code: 9 });
      // The name is free again: the next run of the same appliance starts.
      const next = own.start(d) as DockerRun;
      expect(await next.up).toBeGreaterThan(0);
      next.kill();
      await next.exited;
      own.detach();
    } finally {
      await plain.destroy();
    }
  });
});
