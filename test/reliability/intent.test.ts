/**
 * What an operator asked for survives a kill -9 of the agent in the middle of carrying it out:
 * after the next agent has started, the appliance is as asked, or as it was before, never a
 * third way (stopped for good after a restart, say).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW, program, tomlArray } from '../support/agent-harness.js';
import { sessionsOfRef } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

/** Slow to stop: it ignores SIGTERM, so a stop takes the whole stop timeout. */
const SLOW_TO_STOP = (extra: string): string => `[slow]\ncommand = ${tomlArray(...program('ignore-term.sh'))}\nrestart = "always"\nstop_timeout = "3s"\n${extra}`;

describe('intent across a kill -9', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  async function killedWhileStopping(request: () => Promise<unknown>): Promise<void> {
    const asked = request();
    await h.until('slow', 'to be stopping', (s) => s.state === 'stopping', SLOW);
    await h.kill9();
    await asked.catch(() => undefined);
  }

  it('finishes a restart cut short by a kill -9: the appliance runs a new process, not stopped', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': SLOW_TO_STOP('') } });
    await h.start();
    const before = await h.running('slow');
    await killedWhileStopping(() => h.cli('restart', 'slow'));
    await h.start();
    const after = await h.until('slow', 'to run a new process', (s) => s.state === 'running' && s.pid !== null && s.pid !== before.pid);
    expect(after.desired).toBe('running');
    expect([...sessionsOfRef(after.ref).keys()]).toEqual([after.pid]);
    expect(h.agentLog()).toContain('slow: finishing the restart asked for before the last agent ended');
  });

  it('finishes an apply of a changed definition cut short by a kill -9: the new definition runs', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': SLOW_TO_STOP('env = { V = "1" }\n') } });
    await h.start();
    const before = await h.running('slow');
    const file = h.writeApplianceFile('a.toml', SLOW_TO_STOP('env = { V = "2" }\n'));
    await killedWhileStopping(() => h.cli('apply', file));
    await h.start();
    const after = await h.until('slow', 'to run version 2', (s) => s.state === 'running' && s.running_version === 2 && s.pid !== before.pid);
    expect(after.version).toBe(2);
    expect([...sessionsOfRef(after.ref).keys()]).toEqual([after.pid]);
    const { settings } = JSON.parse((await h.cli('explain', 'slow', '--json')).stdout) as { settings: { key: string; value: unknown }[] };
    expect(settings.find((s) => s.key === 'env')?.value).toEqual({ V: '2' });
  });

  it('finishes a removal cut short by a kill -9: the appliance is gone, and so is its process', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': SLOW_TO_STOP('') } });
    await h.start();
    const before = await h.running('slow');
    await killedWhileStopping(() => h.cli('remove', 'slow'));
    await h.start();
    await waitFor('slow to be forgotten', async () => (await h.client.status()).length === 0, SLOW);
    await waitFor('its process to be gone', () => sessionsOfRef(before.ref).size === 0, SLOW);
  });

  it('keeps a stop asked for: the next agent does not start the appliance again', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': SLOW_TO_STOP('') } });
    await h.start();
    const before = await h.running('slow');
    await killedWhileStopping(() => h.cli('stop', 'slow'));
    await h.start();
    const after = await h.until('slow', 'to be stopped', (s) => s.state === 'stopped');
    expect(after.desired).toBe('stopped');
    await waitFor('its process to be gone', () => sessionsOfRef(before.ref).size === 0, SLOW);
  });
});
