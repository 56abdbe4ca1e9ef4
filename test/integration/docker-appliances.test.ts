/**
 * Container appliances through the real agent and CLI, against the real Docker engine: the same
 * states, supervision, watchers, logs, attach and re-adoption as shell appliances.
 */
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/model/appliance-status.js';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { ensureBusyboxImage, removeContainersByLabel, startPrivateEngine, type PrivateEngine } from '../support/docker-engine.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';

const IMAGE = 'spew-test-busybox';
const TAG = '1.0.0';
const LABEL = 'spew.test=it-docker';
const docker = new Docker();

function item(name: string, body: string): string {
  return [
    `[${name}]`,
    'type = "docker"',
    `image = "${IMAGE}"`,
    `tag = "${TAG}"`,
    body,
    '[' + name + '.runneropts]',
    'labels = { "spew.test" = "it-docker" }',
    '',
  ].join('\n');
}

async function containersOf(ref: string, socket?: string): Promise<Docker.ContainerInfo[]> {
  const engine = socket ? new Docker({ socketPath: socket }) : docker;
  return engine.listContainers({ all: true, filters: { label: [`spew.ref=${ref}`] } });
}

async function events(h: AgentHarness): Promise<EventRecord[]> {
  const { stdout } = await h.cli('events', '--json', '-t', '1000');
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as EventRecord);
}

async function httpText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url);
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  await ensureBusyboxImage(IMAGE, TAG);
});

afterAll(async () => {
  await removeContainersByLabel(LABEL);
});

describe('docker appliances through the agent', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('runs a container, passes its HTTP watcher over a published port, restarts it on a crash and stops it', async () => {
    const port = await freePort();
    h = new AgentHarness({
      appliances: {
        'web.toml': item('web', [
          'command = "echo serving; exec httpd -f -p 80 -h /www"',
          'restart = "always"',
          `watchers = [{ type = "http", url = "http://127.0.0.1:${port}/index.html", interval = "200ms", timeout = "1s" }]`,
        ].join('\n')).replace('labels =', `ports = ["127.0.0.1:${port}:80"]\nlabels =`),
      },
    });
    await h.start();
    const first = await h.running('web');
    expect(first).toMatchObject({ type: 'docker', image: `${IMAGE}:${TAG}`, watchers: [{ state: 'up' }] });
    expect(await httpText(`http://127.0.0.1:${port}/index.html`)).toContain('hello from');
    const [container] = await containersOf(first.ref);
    expect(container?.Labels).toMatchObject({ 'spew.ref': first.ref, 'spew.name': 'web' });
    expect(container?.Labels['spew.version']).toMatch(/^[0-9a-f]{12}$/);
    await waitFor('its output in the log', () => h.applianceLog('web').includes(' out serving'), SLOW);

    // A crash from the host's side, as the engine's own policy would need: kill its process.
    process.kill(first.pid as number, 'SIGKILL');
    const second = await h.until('web', 'to be restarted', (s) => s.state === 'running' && s.restarts === 1 && s.pid !== first.pid);
    expect(second.last_exit).toBe('signal SIGKILL');
    expect(second.ref).toBe(first.ref);
    expect(await containersOf(first.ref)).toHaveLength(1);

    const stopped = await h.cli('stop', 'web');
    expect(stopped.stdout).toContain('web: stopped');
    expect((await h.status('web')).state).toBe('stopped');
    await waitFor('the container to be removed', async () => (await containersOf(first.ref)).length === 0, SLOW);
    const kinds = (await events(h)).filter((e) => e.name === 'web').map((e) => e.event.kind);
    expect(kinds).toEqual(expect.arrayContaining(['start', 'started', 'crash', 'stop-request', 'stop']));
  });

  it('kills with -k, follows logs with -f and forwards attach input to a container with stdin', async () => {
    h = new AgentHarness({
      appliances: { 'echo.toml': item('echo', 'command = "echo ready; while read l; do echo \\"got $l\\"; done"\nstdin = true\nstop_timeout = "30s"') },
    });
    await h.start();
    await h.running('echo');
    const follow = h.spawnCli('logs', '-f', 'echo');
    await follow.waitForOutput('the first line', (out) => out.includes(' out ready'));
    const attach = h.spawnCli('attach', 'echo');
    // The CLI holds its input until the session is up, so it can be sent at once.
    attach.write('hello container\n');
    await attach.waitForOutput('the echo through attach', (out) => out.includes('got hello container'));
    await follow.waitForOutput('the echo in logs -f', (out) => out.includes(' out got hello container'));
    await attach.end();
    await follow.end();
    // `while read` ignores SIGTERM as PID 1 would; -k does not wait the 30 s.
    const killed = await h.cli('stop', '-k', 'echo');
    expect(killed.stdout).toContain('echo: stopped');
    expect((await h.status('echo')).last_exit).toBe('signal SIGKILL');
  });

  it('re-adopts a running container after kill -9 of the agent: same container, no restart, output kept', async () => {
    h = new AgentHarness({
      appliances: { 'tick.toml': item('tick', 'command = "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done"\nrestart = "always"') },
    });
    await h.start();
    const before = await h.running('tick');
    const [container] = await containersOf(before.ref);
    await waitFor('some ticks', () => (h.applianceLog('tick').match(/ out tick /g) ?? []).length >= 3, SLOW);
    await h.kill9();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await h.start();
    const after = await h.status('tick');
    expect(after).toMatchObject({ state: 'running', pid: before.pid, starts: before.starts, restarts: 0 });
    const now = await containersOf(before.ref);
    expect(now.map((c) => c.Id)).toEqual([container?.Id]);
    // The ticks written while no agent ran are in the log: the numbers have no gap.
    await waitFor('ticks after the new agent', () => (h.applianceLog('tick').match(/ out tick /g) ?? []).length >= 25, SLOW);
    const numbers = [...h.applianceLog('tick').matchAll(/ out tick (\d+)/g)].map((m) => Number(m[1]));
    const unique = [...new Set(numbers)];
    expect(unique).toEqual(Array.from({ length: unique.length }, (_, i) => i + 1));
    // Its later crash is still supervised.
    process.kill(before.pid as number, 'SIGKILL');
    await h.until('tick', 'to be restarted', (s) => s.state === 'running' && s.restarts === 1);
  });

  it('reports containers whose appliance it does not have', async () => {
    h = new AgentHarness({ appliances: { 'one.toml': item('one', 'command = "sleep 1000"') } });
    await h.start();
    await h.running('one');
    const stray = await docker.createContainer({
      Image: `${IMAGE}:${TAG}`, Cmd: ['sleep', '1000'], Labels: { 'spew.ref': 'feedfacecafe', 'spew.name': 'gone', 'spew.version': 'x', 'spew.test': 'it-docker' },
    });
    const listed = await h.cli('orphans', '--json');
    const orphans = JSON.parse(listed.stdout) as { ref: string; appliance: string }[];
    // Other test files' containers may be listed too: this agent knows none of theirs either.
    expect(orphans).toContainEqual(expect.objectContaining({ ref: 'feedfacecafe', appliance: 'gone' }));
    expect(orphans.map((o) => o.appliance)).not.toContain('one');
    await stray.remove({ force: true });
  });
});

describe('docker appliances while the engine restarts', () => {
  let engine: PrivateEngine;
  let h: AgentHarness;
  beforeAll(async () => {
    engine = await startPrivateEngine(['--live-restore']);
    await ensureBusyboxImage(IMAGE, TAG, { socket: engine.socket });
  });
  afterAll(async () => {
    await h?.cleanup();
    await engine?.destroy();
  });

  it('shows docker: unreachable while the engine is down and keeps supervising once it is back', async () => {
    h = new AgentHarness({
      appliances: { 'calm.toml': item('calm', 'command = "sleep 1000"\nrestart = "always"').replace('labels =', 'network = "none"\nlabels =') },
      env: { DOCKER_HOST: `unix://${engine.socket}` },
    });
    await h.start();
    const before = await h.running('calm');
    await engine.stop();
    await waitFor('status to show the engine down', async () => (await h.cli('status')).stdout.includes('docker: unreachable'), SLOW);
    // The agent is up and answers while the engine is down.
    expect((await h.status('calm')).state).toBe('running');
    await engine.start();
    await waitFor('the engine to be reachable again', async () => !(await h.cli('status')).stdout.includes('docker: unreachable'), SLOW);
    // `--live-restore`: the container ran on; the agent still supervises it.
    expect(await h.status('calm')).toMatchObject({ state: 'running', pid: before.pid });
    process.kill(before.pid as number, 'SIGKILL');
    await h.until('calm', 'to be restarted', (s) => s.state === 'running' && s.restarts === 1);
    expect(await containersOf(before.ref, engine.socket)).toHaveLength(1);
  });
});
