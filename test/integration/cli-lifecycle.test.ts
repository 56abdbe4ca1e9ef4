import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApplianceStatus } from '../../src/model/appliance-status.js';
import { AgentHarness } from '../support/agent-harness.js';
import { liveGroupMembers } from '../support/proc.js';

describe('run, create, start, restart, stop and remove through the CLI', () => {
  let h: AgentHarness;
  beforeEach(async () => {
    h = new AgentHarness();
    await h.start();
  });
  afterEach(async () => h.cleanup());

  it('creates and starts an appliance with spew run, and refuses a second one of the same name', async () => {
    const run = await h.cli('run', 'web', '--', 'sleep', '1000');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^NAME\s+REF\s+TYPE\s+STATE\s+VER\s+PID/);
    expect(run.stdout).toMatch(/\nweb\s+[0-9a-f]+\s+shell\s+running\s+1\s+\d+/);
    const s = await h.running('web');
    expect(s).toMatchObject({ command: ['sleep', '1000'], starts: 1, desired: 'running', file: null });
    expect(liveGroupMembers(s.pid!).some((p) => p.cmdline === 'sleep 1000')).toBe(true);

    const again = await h.cli('run', 'web', '--', 'sleep', '2000');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('"web" already exists');
    expect(await h.status('web')).toMatchObject({ pid: s.pid, command: ['sleep', '1000'] });
  });

  it('creates an appliance stopped with spew create, and starts it with spew start', async () => {
    const create = await h.cli('create', 'idle', '--shell', 'sleep 1000');
    expect(create.code).toBe(0);
    expect(await h.status('idle')).toMatchObject({ state: 'stopped', pid: null, starts: 0, desired: 'stopped', command: 'sleep 1000' });

    const start = await h.cli('start', 'idle');
    expect(start).toMatchObject({ code: 0, stdout: 'idle: running\n' });
    expect(await h.running('idle')).toMatchObject({ starts: 1, desired: 'running' });
  });

  it('stops, then forgets an appliance with spew remove: its process is gone and its name unknown', async () => {
    await h.cli('run', 'web', '--', 'sleep', '1000');
    const { pid } = await h.running('web');

    const remove = await h.cli('remove', 'web');
    expect(remove).toMatchObject({ code: 0, stdout: 'web: removed\n' });
    expect(liveGroupMembers(pid!)).toEqual([]);
    const status = await h.cli('status', 'web');
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('web');
    expect(await h.client.status()).toEqual([]);

    // The name is free again.
    expect((await h.cli('run', 'web', '--', 'sleep', '1000')).code).toBe(0);
  });

  it('gives an appliance a new process with spew restart', async () => {
    await h.cli('run', 'web', '--', 'sleep', '1000');
    const before = await h.running('web');

    const restart = await h.cli('restart', 'web');
    expect(restart).toMatchObject({ code: 0, stdout: 'web: running\n' });
    const after = await h.running('web');
    expect(after.pid).not.toBe(before.pid);
    expect(liveGroupMembers(before.pid!)).toEqual([]);
    // Asked for, so not counted as a restart by the policy.
    expect(after).toMatchObject({ ref: before.ref, starts: 2, restarts: 0 });
  });

  it('shows name, ref, type, state, pid, restarts, started_at and last_exit with status --json', async () => {
    await h.cli('run', 'web', '--', 'sleep', '1000');
    await h.cli('create', 'idle', '--', 'sleep', '1000');
    await h.running('web');
    const json = await h.cli('status', '--json');
    expect(json.code).toBe(0);
    const all = JSON.parse(json.stdout) as ApplianceStatus[];
    expect(all.map((s) => s.name)).toEqual(['idle', 'web']);
    const [idle, web] = all;
    expect(web).toMatchObject({
      name: 'web',
      ref: expect.stringMatching(/^[0-9a-f]{6,}$/),
      type: 'shell',
      state: 'running',
      pid: expect.any(Number),
      restarts: 0,
      last_exit: null,
    });
    expect(Date.parse(web!.started_at!)).toBeLessThanOrEqual(Date.now());
    expect(idle).toMatchObject({ name: 'idle', type: 'shell', state: 'stopped', pid: null, restarts: 0, started_at: null, last_exit: null });

    await h.cli('stop', 'web');
    const one = JSON.parse((await h.cli('status', '--json', 'web')).stdout) as ApplianceStatus[];
    expect(one).toHaveLength(1);
    expect(one[0]).toMatchObject({ state: 'stopped', pid: null, started_at: null, last_exit: 'signal SIGTERM' });
  });

  it('takes a ref wherever it takes a name', async () => {
    await h.cli('run', 'web', '--', 'sleep', '1000');
    const { ref, pid } = await h.running('web');

    const status = JSON.parse((await h.cli('status', '--json', ref)).stdout) as ApplianceStatus[];
    expect(status[0]).toMatchObject({ name: 'web', ref });
    expect((await h.cli('stop', ref)).stdout).toBe('web: stopped\n');
    expect((await h.cli('start', ref)).stdout).toBe('web: running\n');
    const restarted = await h.cli('restart', ref);
    expect(restarted.stdout).toBe('web: running\n');
    expect((await h.status('web')).pid).not.toBe(pid);
    const logs = await h.cli('logs', ref);
    expect(logs.code).toBe(0);
    expect((await h.cli('remove', ref)).stdout).toBe('web: removed\n');
    expect((await h.cli('status', ref)).code).toBe(1);
  });

  it('acts on every appliance with --all', async () => {
    await h.cli('run', 'one', '--', 'sleep', '1000');
    await h.cli('run', 'two', '--', 'sleep', '1000');
    const stop = await h.cli('stop', '--all');
    expect(stop).toMatchObject({ code: 0, stdout: 'one: stopped\ntwo: stopped\n' });
    const start = await h.cli('start', '-a');
    expect(start).toMatchObject({ code: 0, stdout: 'one: running\ntwo: running\n' });
  });

  it('passes the environment, the working directory and a restart policy given as flags', async () => {
    const run = await h.cli('run', 'envy', '-e', 'GREETING=hello there', '--cwd', h.dir, '--restart', 'crash', '--shell', 'echo "$GREETING from $(pwd) as $SPEW_APPLIANCE"; exec sleep 1000');
    expect(run.code).toBe(0);
    await h.running('envy');
    const { stdout } = await h.until('envy', 'to print', () => h.applianceLog('envy').includes('hello there'))
      .then(() => h.cli('logs', 'envy'));
    expect(stdout).toContain(` out hello there from ${h.dir} as envy`);
  });
});
