import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, program, SLOW, tomlArray } from '../support/agent-harness.js';
import { liveGroupMembers } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

describe('agent restart (SIGTERM, then a new agent)', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('stops every appliance and exits 0 on SIGTERM, and the next agent brings back the same appliances', async () => {
    h = new AgentHarness();
    const flag = h.path('crashed-once');
    h.writeApplianceFile('a.toml', [
      '[web]',
      'command = "sleep 1000"',
      '',
      '[worker]',
      `command = ${tomlArray(...program('crash-once.sh', flag))}`,
      'restart = "crash"',
      '',
      '[idle]',
      'command = "sleep 1000"',
      '',
    ].join('\n'));
    await h.start();
    await h.running('web');
    await h.until('worker', 'to have crashed once and run again', (s) => s.restarts === 1 && s.state === 'running');
    await h.running('idle');
    expect((await h.cli('stop', 'idle')).code).toBe(0);
    const before = await h.client.status();
    const pgids = before.filter((s) => s.pid !== null).map((s) => s.pid!);
    expect(pgids).toHaveLength(2);

    expect(await h.stop()).toBe(0);
    for (const pgid of pgids) expect(liveGroupMembers(pgid)).toEqual([]);

    await h.start();
    const web = await h.running('web');
    const worker = await h.running('worker');
    const idle = await h.status('idle');
    const byName = Object.fromEntries(before.map((s) => [s.name, s]));
    expect(web).toMatchObject({ ref: byName.web!.ref, restarts: 0, starts: 2 });
    expect(worker).toMatchObject({ ref: byName.worker!.ref, restarts: 1, starts: 3 });
    expect(web.pid).not.toBe(byName.web!.pid);
    // Stopped on request stays stopped.
    expect(idle).toMatchObject({ ref: byName.idle!.ref, state: 'stopped', desired: 'stopped', pid: null, starts: 1 });
  });

  it('keeps an appliance stopped on request stopped across a restart, and can still start it after', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[idle]\ncommand = "sleep 1000"\nrestart = "always"\n' } });
    await h.start();
    await h.running('idle');
    expect((await h.cli('stop', 'idle')).code).toBe(0);
    expect(await h.stop()).toBe(0);

    await h.start();
    expect(await h.status('idle')).toMatchObject({ state: 'stopped', desired: 'stopped' });
    expect((await h.cli('start', 'idle')).stdout).toBe('idle: running\n');
  });
});

describe('one agent per state dir', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('refuses a second agent on the same state dir, naming it, and the first keeps working', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[web]\ncommand = "sleep 1000"\n' } });
    await h.start();
    const before = await h.running('web');

    const second = await h.startAnother();
    expect(second.code).not.toBe(0);
    expect(second.code).not.toBeNull();
    expect(second.stderr).toContain(h.stateDir);

    const agent = await h.client.agent();
    expect(agent.pid).toBe(h.agentPid);
    expect(await h.status('web')).toMatchObject({ state: 'running', pid: before.pid });
    expect((await h.cli('status')).code).toBe(0);
    // The second agent did not take the socket away.
    await waitFor('a status through the socket', async () => (await h.cli('status', 'web')).code === 0, SLOW);
  });
});
