import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExitReason } from '../../../src/model/appliance-state.js';
import { DockerRunner } from '../../../src/runners/docker/docker-runner.js';
import type { DockerRun } from '../../../src/runners/docker/docker-run.js';
import { containerName } from '../../../src/runners/docker/container-spec.js';
import { ensureBusyboxImage, ensureDockerEngine, removeContainersByLabel } from '../../support/docker-engine.js';
import { waitFor } from '../../support/wait-for.js';
import { freePort } from '../../support/free-port.js';
import { def, IMAGE_NAME, IMAGE_TAG, RecordingCapture, TEST_LABEL } from './docker-kit.js';

const docker = new Docker();
const runners: DockerRunner[] = [];
const captures: RecordingCapture[] = [];

function runner(): DockerRunner {
  const made = new DockerRunner({ docker, backoff: { initialMs: 50, maxMs: 500 } });
  runners.push(made);
  return made;
}

async function prepared(r: DockerRunner, d: ReturnType<typeof def>): Promise<RecordingCapture> {
  const recording = new RecordingCapture();
  captures.push(recording);
  await r.prepare([{ def: d, capture: recording.capture }]);
  return recording;
}

async function containersOf(ref: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`spew.ref=${ref}`] } });
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  await ensureDockerEngine();
  await ensureBusyboxImage(IMAGE_NAME, IMAGE_TAG);
});

afterAll(async () => {
  for (const r of runners) r.detach();
  for (const c of captures) c.close();
  await removeContainersByLabel(`${TEST_LABEL}=docker-runner`);
});

describe('the Docker runner', () => {
  it('runs a command to its end and reports exit 0, then removes the finished container', async () => {
    const r = runner();
    const d = def('ok', 'echo done');
    const rec = await prepared(r, d);
    const handle = r.start(d);
    expect(await handle.exited).toEqual({ kind: 'exit', code: 0 });
    expect(rec.texts('out')).toEqual(['done']);
    await waitFor('the container to be removed', async () => (await containersOf(d.ref)).length === 0);
  });

  it('reports a non-zero exit code as it is', async () => {
    const r = runner();
    const d = def('crash', ['/bin/sh', '-c', 'exit 3']);
    await prepared(r, d);
    expect(await r.start(d).exited).toEqual({ kind: 'exit', code: 3 });
  });

  it('reports death by a signal it did not send, and sees the die from the event stream at once', async () => {
    const r = runner();
    const d = def('victim', 'sleep 1000');
    await prepared(r, d);
    const handle = r.start(d) as DockerRun;
    const pid = await handle.up;
    expect(pid).toBeGreaterThan(0);
    expect(handle.pid).toBe(pid);
    const killedAt = Date.now();
    await docker.getContainer(handle.containerId as string).kill({ signal: 'SIGKILL' });
    expect(await handle.exited).toEqual({ kind: 'signal', signal: 'SIGKILL' });
    // No polling: the `die` event settles the run within the time of one engine round trip.
    expect(Date.now() - killedAt).toBeLessThan(1000);
  });

  it('captures stdout and stderr as lines, a last partial line included', async () => {
    const r = runner();
    const d = def('talk', 'echo one; echo two >&2; echo three; printf partial');
    const rec = await prepared(r, d);
    await r.start(d).exited;
    rec.capture.end('out');
    expect(rec.texts('out')).toEqual(['one', 'three', 'partial']);
    expect(rec.texts('err')).toEqual(['two']);
  });

  it('loses no line when stdout and stderr interleave fast', async () => {
    const r = runner();
    const d = def('chatty', 'i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo "o$i"; echo "e$i" >&2; done');
    const rec = await prepared(r, d);
    expect(await r.start(d).exited).toEqual({ kind: 'exit', code: 0 });
    const numbers = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(rec.texts('out')).toEqual(numbers.map((n) => `o${n}`));
    expect(rec.texts('err')).toEqual(numbers.map((n) => `e${n}`));
  });

  it('labels every container with ref, name and config version, and leaves the engine restart policy at no', async () => {
    const r = runner();
    const d = def('labelled', 'sleep 1000', { labels: { [TEST_LABEL]: 'docker-runner', team: 'ops' } });
    await prepared(r, d);
    const handle = r.start(d) as DockerRun;
    await handle.up;
    const info = await docker.getContainer(handle.containerId as string).inspect();
    expect(info.Name).toBe(`/${containerName(d)}`);
    expect(info.Config.Labels).toMatchObject({ 'spew.ref': d.ref, 'spew.name': 'labelled', team: 'ops' });
    expect(info.Config.Labels['spew.version']).toMatch(/^[0-9a-f]{12}$/);
    expect(info.HostConfig.RestartPolicy?.Name).toBe('no');
    handle.kill();
    await handle.exited;
  });

  it('stops with the stop signal, and kills after the timeout a container that ignores it', async () => {
    const r = runner();
    const polite = def('polite', "trap 'exit 0' TERM; while :; do sleep 0.1; done");
    const stubborn = def('stubborn', "trap '' TERM; sleep 1000");
    await prepared(r, polite);
    await prepared(r, stubborn);
    const a = r.start(polite) as DockerRun;
    const b = r.start(stubborn) as DockerRun;
    await Promise.all([a.up, b.up]);
    const began = Date.now();
    a.stop('SIGTERM', 5000);
    b.stop('SIGTERM', 700);
    expect(await a.exited).toEqual({ kind: 'exit', code: 0 });
    expect(Date.now() - began).toBeLessThan(3000);
    expect(await b.exited).toEqual({ kind: 'signal', signal: 'SIGKILL' });
    expect(Date.now() - began).toBeGreaterThanOrEqual(700);
  });

  it('kills at once, and a stop asked before the container runs is applied when it does', async () => {
    const r = runner();
    const d = def('killed', "trap '' TERM; sleep 1000");
    await prepared(r, d);
    const handle = r.start(d);
    handle.kill();
    const reason = await handle.exited;
    expect(['signal']).toContain(reason.kind);
    await waitFor('no container left', async () => (await containersOf(d.ref)).length === 0);
  });

  it('publishes a port on 127.0.0.1 that answers', async () => {
    const r = runner();
    const port = await freePort();
    const d = def('web', ['httpd', '-f', '-p', '80', '-h', '/www'], { ports: [`127.0.0.1:${port}:80`] });
    await prepared(r, d);
    const handle = r.start(d);
    const body = await waitFor('httpd to answer', () => httpGet(`http://127.0.0.1:${port}/`));
    expect(body).toContain('hello from');
    handle.stop('SIGTERM', 2000);
    await handle.exited;
  });

  it('fails a start on an image it cannot pull with a clear spawn error', async () => {
    const r = runner();
    // Port 1 of loopback: nothing listens, so the pull is refused at once.
    const d = def('ghost', 'true', {}, { image: '127.0.0.1:1/spew-no-such-image', tag: '9.9.9' });
    await prepared(r, d);
    const reason = (await r.start(d).exited) as Extract<ExitReason, { kind: 'spawn-error' }>;
    expect(reason.kind).toBe('spawn-error');
    expect(reason.message).toContain('pulling 127.0.0.1:1/spew-no-such-image:9.9.9');
  });

  it('reports an OOM kill', async () => {
    const r = runner();
    // The main process keeps the last 200 MB of an endless stream, and is killed for it. Not at
    // once: containerd 1.6 watches for OOM kills only once the task has started, and misses one
    // that comes within milliseconds of the start (5 of 32 runs of the engine alone, here).
    const d = def('hog', ['/bin/sh', '-c', 'sleep 1; exec tail -c 200000000 /dev/zero'], { memory: '16m' });
    await prepared(r, d);
    expect(await r.start(d).exited).toEqual({ kind: 'oom' });
  });

  it('forwards input to a container made with stdin', async () => {
    const r = runner();
    const d = def('echoer', 'cat', {}, { stdin: true });
    const rec = await prepared(r, d);
    const handle = r.start(d) as DockerRun;
    await handle.up;
    expect(r.input(d, Buffer.from('hello in\n'))).toBe(true);
    await waitFor('the echo', () => rec.texts('out').includes('hello in'));
    handle.kill();
    await handle.exited;
    expect(r.input(def('no-stdin', 'true'), Buffer.from('x'))).toBe(false);
  });
});

describe('adoption by a new runner', () => {
  it('takes over a running container without a restart and without a duplicate, and follows its output on', async () => {
    const first = runner();
    const d = def('long', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done');
    const rec1 = await prepared(first, d);
    const original = first.start(d) as DockerRun;
    const pid = await original.up;
    await waitFor('some output', () => rec1.lines.length >= 3);
    first.detach();

    const second = runner();
    const rec2 = await prepared(second, d);
    const found = await second.adopt(d);
    expect(found.kind).toBe('running');
    if (found.kind !== 'running') return;
    expect(found.handle.pid).toBe(pid);
    expect(found.handle.startedAt.getTime()).toBeCloseTo(original.startedAt.getTime(), -1);
    const list = await containersOf(d.ref);
    expect(list).toHaveLength(1);
    expect(list[0]?.State).toBe('running');
    await waitFor('output after the adoption', () => rec2.lines.length >= 2);
    found.handle.kill();
    expect(await found.handle.exited).toEqual({ kind: 'signal', signal: 'SIGKILL' });
  });

  it('reports a container that ended while no runner watched as exited with its code, once', async () => {
    const first = runner();
    const d = def('brief', 'sleep 0.5; echo bye; exit 5');
    await prepared(first, d);
    const handle = first.start(d) as DockerRun;
    await handle.up;
    const id = handle.containerId as string;
    first.detach();
    await docker.getContainer(id).wait();

    const second = runner();
    const rec = await prepared(second, d);
    expect(await second.adopt(d)).toEqual({ kind: 'exited', reason: { kind: 'exit', code: 5 } });
    expect(rec.texts('out')).toEqual([]);
    await waitFor('the accounted container to be removed', async () => (await containersOf(d.ref)).length === 0);
    expect(await runner().adopt(d)).toEqual({ kind: 'absent' });
  });

  it('reads, on adoption, the output written since the time the new agent last had', async () => {
    const first = runner();
    const d = def('away', 'echo before; sleep 1.5; echo during; sleep 1000');
    const rec1 = await prepared(first, d);
    const handle = first.start(d) as DockerRun;
    await waitFor('the first line', () => rec1.texts('out').includes('before'));
    const lastHad = new Date();
    first.detach();
    const second = new DockerRunner({ docker, lastLogTime: () => lastHad });
    runners.push(second);
    const rec2 = await prepared(second, d);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const found = await second.adopt(d);
    expect(found.kind).toBe('running');
    await waitFor('the line written while away', () => rec2.texts('out').includes('during'));
    if (found.kind === 'running') found.handle.kill();
    void handle;
  });

  it('lists containers whose ref no agent knows as orphans', async () => {
    const r = runner();
    const d = def('orphan', 'sleep 1000');
    await prepared(r, d);
    const handle = r.start(d) as DockerRun;
    await handle.up;
    const orphans = await runner().orphans(['some-other-ref']);
    expect(orphans.map((o) => o.ref)).toContain(d.ref);
    expect(orphans.find((o) => o.ref === d.ref)).toMatchObject({ appliance: 'orphan', state: 'running', name: containerName(d) });
    expect((await r.orphans([d.ref])).map((o) => o.ref)).not.toContain(d.ref);
    handle.kill();
    await handle.exited;
  });
});

describe('engine state', () => {
  it('is reachable while the engine answers', async () => {
    const r = runner();
    await waitFor('the event stream', () => r.engineState() === 'reachable');
    expect(execFileSync('docker', ['info', '--format', '{{.ServerVersion}}']).toString().trim()).not.toBe('');
  });
});
