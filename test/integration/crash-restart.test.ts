import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, program, SLOW, tomlArray } from '../support/agent-harness.js';
import { applianceProcess } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

describe('crash and restart', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  /** An appliance that exits with `code` after a short run, under a restart policy. */
  function exiting(name: string, code: number, restart: string): string {
    return `[${name}]\ncommand = "sleep 0.2; exit ${code}"\nrestart = "${restart}"\n`;
  }

  it('restarts an appliance with restart = "always" after it crashes, counting the restarts', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': exiting('flaky', 3, 'always') } });
    await h.start();
    const s = await h.until('flaky', 'to have restarted twice', (x) => x.restarts >= 2);
    expect(s.last_exit).toBe('exit 3');
    expect(s.starts).toBeGreaterThanOrEqual(3);
  });

  it('restarts an appliance with restart = "crash" after a non-zero exit', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': exiting('flaky', 3, 'crash') } });
    await h.start();
    const s = await h.until('flaky', 'to have restarted twice', (x) => x.restarts >= 2);
    expect(s.last_exit).toBe('exit 3');
  });

  it('restarts an appliance with restart = "always" after it exits 0', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': exiting('oneshot', 0, 'always') } });
    await h.start();
    const s = await h.until('oneshot', 'to have restarted', (x) => x.restarts >= 1);
    expect(s.last_exit).toBe('exit 0');
  });

  it('does not restart an appliance with restart = "crash" that exits 0: it is stopped', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': exiting('oneshot', 0, 'crash') } });
    await h.start();
    const s = await h.until('oneshot', 'to stop', (x) => x.state === 'stopped');
    expect(s).toMatchObject({ restarts: 0, starts: 1, last_exit: 'exit 0', pid: null });
  });

  it('leaves an appliance with restart = "never" crashed after a non-zero exit', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': exiting('flaky', 3, 'never') } });
    await h.start();
    const s = await h.until('flaky', 'to crash', (x) => x.state === 'crashed');
    expect(s).toMatchObject({ restarts: 0, starts: 1, last_exit: 'exit 3', pid: null });
    expect(s.reason).toContain('exit 3');
    const table = await h.cli('status', 'flaky');
    expect(table.stdout).toMatch(/flaky\s+\S+\s+shell\s+crashed\s+1\s+-\s+-\s+0\s+-\s+exit 3/);
  });

  it('takes a SIGKILL that spew did not send as a crash, and restarts on it', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': `[victim]\ncommand = "sleep 1000"\nrestart = "crash"\n` } });
    await h.start();
    const before = await h.running('victim');
    const target = await waitFor('the appliance process', () => applianceProcess(before.pid!), SLOW);
    expect(target.cmdline).toContain('sleep 1000');
    process.kill(target.pid, 'SIGKILL');
    const after = await h.until('victim', 'to be restarted', (x) => x.restarts === 1 && x.state === 'running');
    expect(after.last_exit).toBe('signal SIGKILL');
    expect(after.pid).not.toBe(before.pid);
    const events = await h.cli('events', '--json');
    const crash = events.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; event: { kind: string; reason?: unknown } })
      .find((r) => r.name === 'victim' && r.event.kind === 'crash');
    expect(crash?.event.reason).toEqual({ kind: 'signal', signal: 'SIGKILL' });
  });

  it('leaves an appliance with restart = "never" crashed with the signal when it is killed', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': `[victim]\ncommand = ${tomlArray(...program('trigger.sh', '/nonexistent'))}\n` } });
    await h.start();
    const before = await h.running('victim');
    const target = await waitFor('the appliance process', () => applianceProcess(before.pid!), SLOW);
    process.kill(target.pid, 'SIGKILL');
    const after = await h.until('victim', 'to crash', (x) => x.state === 'crashed');
    expect(after).toMatchObject({ last_exit: 'signal SIGKILL', restarts: 0, pid: null });
  });
});
