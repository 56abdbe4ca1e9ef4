/**
 * Images and upgrades through the real agent and CLI, against the real engine and a real
 * registry (Debian's docker-registry on loopback) holding 1.0.0, 1.1.0, 2.0.0 and a broken 2.1.0.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryAnswer, RollbackAnswer, UpgradeAnswer } from '../../src/api/wire.js';
import type { EventRecord } from '../../src/model/appliance-status.js';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { removeContainersByLabel } from '../support/docker-engine.js';
import { pushBusyboxImages, removeLocalImages, startRegistry, tearDownRegistry, type TestRegistry } from '../support/docker-registry.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';

const NAME = `spew-it-upgrade-${process.pid}`;
const LABEL = 'spew.test=it-upgrade';
let registry: TestRegistry;
let repo: string;

beforeAll(async () => {
  registry = await startRegistry();
  await pushBusyboxImages(registry, NAME);
  repo = `${registry.host}/${NAME}`;
}, 180_000);

afterAll(async () => {
  await removeContainersByLabel(LABEL);
  await tearDownRegistry(registry, NAME);
});

/** An appliance table for the test images, labelled for cleanup. */
function item(spec: string, lines: string[] = [], runneropts: string[] = []): string {
  return [`["${spec}"]`, 'type = "docker"', `image = "${repo}"`, ...lines, `["${spec}".runneropts]`, 'labels = { "spew.test" = "it-upgrade" }', ...runneropts, ''].join('\n');
}

async function events(h: AgentHarness, name: string): Promise<EventRecord['event'][]> {
  const { stdout } = await h.cli('events', '--json', '-t', '1000');
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as EventRecord).filter((e) => e.name === name).map((e) => e.event);
}

async function containerNames(ref: string): Promise<string[]> {
  const list = await new Docker().listContainers({ all: true, filters: { label: [`spew.ref=${ref}`] } });
  return list.map((c) => (c.Names[0] ?? '').replace(/^\//, ''));
}

describe('images: vsn constraints and pulls', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('resolves ~>1.0 against the registry, pulls it with per-layer progress, and pins the tag', async () => {
    await removeLocalImages(repo);
    h = new AgentHarness();
    await h.start();
    const run = await h.cli('run', 'app#vsn:~>1.0', '--image', repo, '--json');
    expect(run.code).toBe(0);
    // Not a terminal: a line per layer state change, on stderr.
    expect(run.stderr).toMatch(/app: [0-9a-f]{12}: downloading/);
    expect(run.stderr).toMatch(/app: [0-9a-f]{12}: done/);
    const app = await h.running('app');
    expect(app.image).toBe(`${repo}:1.1.0`);
    await waitFor('its first line', () => h.applianceLog('app').includes(` out ${NAME} 1.1.0`), SLOW);
    expect(await events(h, 'app')).toContainEqual({ kind: 'image', tag: '1.1.0', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    // The pin is a new version, and the run that chose the tag runs it: no "changed since" flag.
    await waitFor('the pin as a version', async () => (await h.status('app')).version === 2, SLOW);
    expect(await h.status('app')).toMatchObject({ version: 2, running_version: 2 });
    // A restart keeps the pinned tag; only an upgrade moves it.
    await h.cli('restart', 'app');
    expect((await h.running('app')).image).toBe(`${repo}:1.1.0`);
  });

  it('fails the appliance with a clear message when the image cannot be pulled, without a hang', async () => {
    h = new AgentHarness();
    await h.start();
    await h.cli('run', 'ghost', '--image', `${registry.host}/spew-no-such-image`, '--tag', '1.0.0');
    const ghost = await h.until('ghost', 'to fail', (s) => s.state === 'failed');
    expect(ghost.reason).toMatch(/^spawn failed: pulling .*spew-no-such-image:1\.0\.0: .*manifest unknown/);
    const down = await h.cli('run', 'down', '--image', '127.0.0.1:1/app', '--tag', '1.0.0');
    expect(down.code).toBe(0);
    const failed = await h.until('down', 'to fail', (s) => s.state === 'failed');
    expect(failed.reason).toMatch(/^spawn failed: pulling 127\.0\.0\.1:1\/app:1\.0\.0: /);
  });
});

describe('spew upgrade', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('upgrades start-first to a newer tag keeping the ref, and rolls back from the broken 2.1.0', async () => {
    const hookFile = '/tmp/' + `spew-upgrade-hook-${process.pid}`;
    h = new AgentHarness({
      appliances: {
        'svc.toml': item('svc#vsn:>=1.0 <3', [
          'restart = "always"',
          `hooks = { upgrade = [{ run = "echo $SPEW_EVENT >> ${hookFile}" }] }`,
          'upgrade = { deadline = "20s" }',
        ], ['network = "none"']),
      },
    });
    await h.start();
    // First boot resolves the constraint to the newest: the broken 2.1.0, which fails at once.
    // An operator pins a good tag with --to while it is down.
    await h.until('svc', 'to crash or fail', (s) => s.image === `${repo}:2.1.0` && s.restarts >= 1);
    await h.cli('stop', 'svc');
    expect((await h.cli('upgrade', 'svc', '--to', '1.0.0')).stdout).toContain('svc: upgraded 2.1.0 -> 1.0.0');
    await h.cli('start', 'svc');
    const before = await h.running('svc');
    expect(before.image).toBe(`${repo}:1.0.0`);

    const check = JSON.parse((await h.cli('upgrade', '--check', '--json')).stdout) as { name: string; current: string; available: string }[];
    expect(check).toEqual([expect.objectContaining({ name: 'svc', current: '1.0.0', available: '2.1.0' })]);

    // A client following the appliance by ref keeps receiving its output across the upgrade.
    const follow = h.spawnCli('logs', '-f', before.ref);
    const up = await h.cli('upgrade', 'svc', '--to', '2.0.0', '--json');
    expect(up.code).toBe(0);
    const upgraded = JSON.parse(up.stdout) as UpgradeAnswer;
    expect(upgraded).toMatchObject({ outcome: 'upgraded', from: '1.0.0', to: '2.0.0' });
    expect(upgraded.appliance).toMatchObject({ ref: before.ref, state: 'running', image: `${repo}:2.0.0` });
    expect(upgraded.appliance.pid).not.toBe(before.pid);
    await follow.waitForOutput('the new container in the follow', (out) => out.includes(`${NAME} 2.0.0`));
    await follow.end();
    // One container, under the appliance's own name again.
    await waitFor('the old container to go', async () => (await containerNames(before.ref)).length === 1, SLOW);
    expect(await containerNames(before.ref)).toEqual([`spew-svc-${before.ref}`]);

    const broken = await h.cli('upgrade', 'svc');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/svc: rolled back to 2\.0\.0: 2\.1\.0 exit 3/);
    const after = await h.status('svc');
    expect(after).toMatchObject({ ref: before.ref, state: 'running', image: `${repo}:2.0.0`, pid: upgraded.appliance.pid });
    expect(await containerNames(before.ref)).toEqual([`spew-svc-${before.ref}`]);

    const kinds = (await events(h, 'svc')).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['upgrade-begin', 'upgrade', 'rollback']));
    await waitFor('the upgrade hooks', () => {
      try {
        return readFileSync(hookFile, 'utf8').split('\n').filter(Boolean).length >= 3;
      } catch {
        return false;
      }
    }, SLOW);
  });

  it('upgrades stop-first when a fixed host port is published, and rolls back onto the old tag when watchers fail', async () => {
    const port = await freePort();
    h = new AgentHarness({
      appliances: {
        'web.toml': item('web#vsn:~>2.0', [
          'restart = "always"',
          `watchers = [{ type = "http", url = "http://127.0.0.1:${port}/index.html", interval = "200ms", timeout = "1s" }]`,
          'upgrade = { deadline = "10s" }',
        ], [`ports = ["127.0.0.1:${port}:80"]`]),
      },
    });
    await h.start();
    await h.cli('stop', 'web');
    await h.cli('upgrade', 'web', '--to', '2.0.0');
    await h.cli('start', 'web');
    const before = await h.running('web');
    expect(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).toBe('2.0.0\n');

    const broken = JSON.parse((await h.cli('upgrade', 'web', '--json')).stdout) as UpgradeAnswer;
    expect(broken).toMatchObject({ outcome: 'rolled-back', from: '2.0.0', to: '2.1.0' });
    const after = await h.running('web');
    expect(after).toMatchObject({ ref: before.ref, image: `${repo}:2.0.0` });
    expect(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).toBe('2.0.0\n');
    const rollback = (await events(h, 'web')).find((e) => e.kind === 'rollback');
    expect(rollback).toMatchObject({ from: '2.1.0', to: '2.0.0' });
    expect((await events(h, 'web')).find((e) => e.kind === 'upgrade-begin')).toMatchObject({ strategy: 'stop-first' });
  });

  it('upgrades on its own with policy = "auto", one appliance at a time, and leaves a stopped one alone', async () => {
    const policy = ['upgrade = { policy = "auto", interval = "1s", deadline = "20s" }'];
    h = new AgentHarness({
      appliances: {
        'auto.toml': [item('one#vsn:~>1.0', policy, ['network = "none"']), item('two#vsn:~>1.0', policy, ['network = "none"']), item('held#vsn:~>1.0', policy, ['network = "none"'])].join('\n'),
      },
    });
    await h.start();
    // Moved back by hand while stopped: the auto policy upgrades only what runs.
    for (const name of ['one', 'two', 'held']) {
      await h.cli('stop', name);
      await h.cli('upgrade', name, '--to', '1.0.0');
    }
    await h.cli('start', 'one', 'two');
    for (const name of ['one', 'two']) {
      const upgraded = await h.until(name, 'to be upgraded to 1.1.0', (s) => s.image === `${repo}:1.1.0` && s.state === 'running', 60_000);
      expect(upgraded.pid).not.toBeNull();
    }
    const all = await events(h, 'one');
    expect(all.filter((e) => e.kind === 'upgrade').at(-1)).toMatchObject({ from: '1.0.0', to: '1.1.0' });
    // One at a time: each upgrade ends before the next begins (the manual ones, made while
    // stopped, have no begin).
    const { stdout } = await h.cli('events', '--json', '-t', '1000');
    const steps = stdout.trim().split('\n').map((l) => JSON.parse(l) as EventRecord)
      .filter((e) => (e.name === 'one' || e.name === 'two') && ['upgrade-begin', 'upgrade', 'rollback'].includes(e.event.kind))
      .map((e) => `${e.name} ${e.event.kind}`);
    const auto = steps.slice(steps.findIndex((step) => step.endsWith('upgrade-begin')));
    expect(['one upgrade-begin,one upgrade,two upgrade-begin,two upgrade', 'two upgrade-begin,two upgrade,one upgrade-begin,one upgrade']).toContain(auto.join(','));
    const held = await h.status('held');
    expect(held).toMatchObject({ state: 'stopped', image: `${repo}:1.0.0` });
  });

  it('rolls a container back through the health-gated path, refuses a broken version, and exports its pinned digest', async () => {
    h = new AgentHarness({
      appliances: { 'app.toml': item('app#vsn:~>1.0', ['restart = "always"', 'upgrade = { deadline = "20s" }'], ['network = "none"']) },
    });
    await h.start();
    const first = await h.running('app');
    expect(first.image).toBe(`${repo}:1.1.0`);
    await waitFor('the pin as a version', async () => (await h.status('app')).version === 2, SLOW);

    expect((await h.cli('upgrade', 'app', '--to', '1.0.0')).stdout).toContain('app: upgraded 1.1.0 -> 1.0.0');
    expect((await h.running('app')).image).toBe(`${repo}:1.0.0`);
    const back = JSON.parse((await h.cli('rollback', 'app', '--json')).stdout) as RollbackAnswer;
    expect(back).toMatchObject({ outcome: 'rolled-back', to: 2, version: 4 });
    expect(back.appliance).toMatchObject({ ref: first.ref, image: `${repo}:1.1.0`, state: 'running', running_version: 4 });
    const sources = (JSON.parse((await h.cli('history', 'app', '--json')).stdout) as HistoryAnswer).versions.map((v) => v.source);
    expect(sources.slice(1)).toEqual(['vsn resolved to 1.1.0', 'upgrade 1.1.0 -> 1.0.0', 'rollback to v2']);

    // A version on the broken tag (made while stopped), then back to 1.1.0: rolling back onto it is refused.
    await h.cli('stop', 'app');
    await h.cli('upgrade', 'app', '--to', '2.1.0');
    await h.cli('upgrade', 'app', '--to', '1.1.0');
    await h.cli('start', 'app');
    const running = await h.running('app');
    const refused = await h.cli('rollback', 'app');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/app: refused: v\d+ did not come up healthy \(exit 3\)/);
    expect(await h.status('app')).toMatchObject({ image: `${repo}:1.1.0`, state: 'running', pid: running.pid });

    // The export pins the digest; a fresh instance runs exactly that image.
    const exported = (await h.cli('export', 'app')).stdout;
    expect(exported).toMatch(/image_digest = "sha256:[0-9a-f]{64}"/);
    expect(exported).toContain('image_tag = "1.1.0"');
    const fresh = new AgentHarness();
    try {
      await fresh.start();
      const file = fresh.path('app.toml');
      writeFileSync(file, exported);
      await fresh.cli('apply', file);
      const copy = await fresh.running('app');
      expect(copy).toMatchObject({ ref: first.ref, image: `${repo}:1.1.0` });
      const [container] = await new Docker().listContainers({ filters: { label: [`spew.ref=${first.ref}`, 'spew.test=it-upgrade'] } });
      expect(container?.Image).toMatch(/@sha256:[0-9a-f]{64}$/);
      expect((await fresh.cli('export', 'app')).stdout).toBe(exported);
    } finally {
      await fresh.cleanup();
    }
  });
});

