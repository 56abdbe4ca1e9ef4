import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, program, SLOW, tomlArray } from '../support/agent-harness.js';
import { liveGroupMembers } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

/** One appliance file entry running a fixture program, with extra keys. */
function entry(name: string, programName: string, ...extra: string[]): string {
  return [`[${name}]`, `command = ${tomlArray(...program(programName))}`, ...extra, ''].join('\n');
}

describe('stopping and killing a process tree', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('leaves no process of the group running after spew stop, grandchildren included', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': entry('tree', 'tree.sh') } });
    await h.start();
    const { pid } = await h.running('tree');
    const pgid = pid!;
    // The shim, the script and its two sleeps.
    await waitFor('the grandchildren', () => liveGroupMembers(pgid).filter((p) => p.cmdline.includes('sleep 1000')).length === 2, SLOW);
    expect(liveGroupMembers(pgid).length).toBeGreaterThanOrEqual(4);

    const stop = await h.cli('stop', 'tree');
    expect(stop).toMatchObject({ code: 0, stdout: 'tree: stopped\n' });
    // `spew stop` answers once the appliance has stopped, so the group is gone already.
    expect(liveGroupMembers(pgid)).toEqual([]);
    const s = await h.status('tree');
    expect(s).toMatchObject({ state: 'stopped', pid: null, reason: 'stopped on request', desired: 'stopped' });
  });

  it('SIGKILLs an appliance that ignores SIGTERM once its stop timeout has passed', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': entry('stubborn', 'ignore-term.sh', 'stop_timeout = "1s"') } });
    await h.start();
    const { pid } = await h.running('stubborn');
    await waitFor('the appliance to ignore TERM', () => h.applianceLog('stubborn').includes('ignoring TERM'), SLOW);

    const started = Date.now();
    const stop = await h.cli('stop', 'stubborn');
    const took = Date.now() - started;
    expect(stop.code).toBe(0);
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(liveGroupMembers(pid!)).toEqual([]);
    const s = await h.status('stubborn');
    expect(s).toMatchObject({ state: 'stopped', last_exit: 'signal SIGKILL' });
  });

  it('kills at once with spew stop -k, without waiting for the stop timeout', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': entry('stubborn', 'ignore-term.sh', 'stop_timeout = "60s"') } });
    await h.start();
    const { pid } = await h.running('stubborn');
    await waitFor('the appliance to ignore TERM', () => h.applianceLog('stubborn').includes('ignoring TERM'), SLOW);

    const started = Date.now();
    const stop = await h.cli('stop', '-k', 'stubborn');
    expect(stop).toMatchObject({ code: 0, stdout: 'stubborn: stopped\n' });
    // Far below the 60 s timeout: no grace period was given.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(liveGroupMembers(pid!)).toEqual([]);
    expect(await h.status('stubborn')).toMatchObject({ state: 'stopped', last_exit: 'signal SIGKILL' });
  });

  it('sends the stop_signal the appliance asked for: SIGINT reaches it instead of SIGTERM', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': entry('polite', 'trap-int.sh', 'stop_signal = "SIGINT"') } });
    await h.start();
    await h.running('polite');
    await waitFor('the appliance to set its traps', () => h.applianceLog('polite').includes('waiting for a signal'), SLOW);

    expect((await h.cli('stop', 'polite')).code).toBe(0);
    const log = await waitFor('the trap to be logged', () => h.applianceLog('polite').includes('got INT') && h.applianceLog('polite'), SLOW);
    expect(log).not.toContain('got TERM');
    expect(await h.status('polite')).toMatchObject({ state: 'stopped', last_exit: 'exit 0' });
  });

  it('sends SIGTERM by default, which a trap can answer', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': entry('polite', 'trap-int.sh') } });
    await h.start();
    await h.running('polite');
    await waitFor('the appliance to set its traps', () => h.applianceLog('polite').includes('waiting for a signal'), SLOW);

    expect((await h.cli('stop', 'polite')).code).toBe(0);
    await waitFor('the trap to be logged', () => h.applianceLog('polite').includes('got TERM'), SLOW);
    expect(h.applianceLog('polite')).not.toContain('got INT');
  });

  it('does not restart an appliance stopped on request, whatever its restart policy', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': entry('tree', 'tree.sh', 'restart = "always"') } });
    await h.start();
    await h.running('tree');
    expect((await h.cli('stop', 'tree')).code).toBe(0);
    const s = await h.status('tree');
    expect(s).toMatchObject({ state: 'stopped', restarts: 0, starts: 1 });
  });
});
