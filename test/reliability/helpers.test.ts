/**
 * kill -9 and SIGSTOP of every kind of helper the agent has: the launchers, the standby shims,
 * an appliance's shim, the log keeper. Supervision is never wedged: a crash loop goes on, a
 * restart of another appliance is done, nothing runs twice and no output is lost.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { applianceProcess, isAlive, processes, sessionsOfRef } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

type Helper = 'launcher' | 'standby' | 'keeper';

function stopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
}

describe('killed and stopped helpers', () => {
  let h: AgentHarness;
  afterEach(async () => {
    for (const p of processes()) if (stopped(p.pid)) process.kill(p.pid, 'SIGCONT');
    await h.cleanup();
  });

  /** The helpers of this agent, by what they are. */
  function helpers(kind: Helper): number[] {
    if (kind === 'keeper') return h.keeper();
    const all = processes().filter((p) => p.state !== 'Z');
    if (kind === 'launcher') return all.filter((p) => p.ppid === h.agentPid && p.cmdline.includes('spew-launcher')).map((p) => p.pid);
    // A standby that has taken a start is that run's shim from then on (the sweep of stopped
    // shims continues it): a standby is one still waiting, with no child.
    const parents = new Set(all.map((p) => p.ppid));
    return all.filter((p) => p.cmdline.includes(`wait:`) && p.cmdline.includes(`${h.stateDir}/pool/`) && !parents.has(p.pid)).map((p) => p.pid);
  }

  async function started(): Promise<void> {
    h = new AgentHarness({
      appliances: { 'a.toml': '[crashy]\ncommand = "sleep 0.1; exit 1"\nrestart = "always"\n\n[other]\ncommand = "sleep 100000"\n\n[talker]\ncommand = "while :; do echo tick; sleep 0.05; done"\n' },
    });
    await h.start();
    await Promise.all(['other', 'talker'].map((n) => h.running(n)));
    await h.until('crashy', 'to crash and restart', (s) => s.restarts >= 2);
    await waitFor('launchers, standbys and the keeper', () => (['launcher', 'standby', 'keeper'] as const).every((k) => helpers(k).length > 0), SLOW);
  }

  /** Supervision goes on: the crash loop restarts, a restart of another appliance is done, one copy each. */
  async function unwedged(): Promise<void> {
    const before = (await h.status('crashy')).restarts;
    await h.until('crashy', 'to go on restarting', (s) => s.restarts >= before + 3, SLOW);
    const other = await h.status('other');
    const restarted = await h.cli('restart', 'other');
    expect(restarted.code, restarted.stderr).toBe(0);
    const after = await h.running('other');
    expect(after.pid).not.toBe(other.pid);
    // One copy each: no session of an appliance but the one its status shows. A crash loop may
    // end a run and start the next while /proc is read, so a look counts only when the status
    // was the same before and after it; a second copy that lasts fails every look.
    for (const name of ['crashy', 'other', 'talker']) {
      let extra: number[] = [];
      await waitFor(`one copy of ${name}`, async () => {
        const before = await h.status(name);
        extra = [...sessionsOfRef(before.ref).keys()].filter((sid) => sid !== before.pid);
        const after = await h.status(name);
        return after.pid === before.pid && after.restarts === before.restarts;
      }, SLOW);
      expect(extra, name).toEqual([]);
    }
    const ticks = (await h.cli('logs', '-t', '5', 'talker')).stdout;
    const last = new Date(ticks.trim().split('\n').at(-1)?.slice(0, 24) ?? 0).getTime();
    await waitFor('the talker to be logged on', async () => {
      const now = (await h.cli('logs', '-t', '1', 'talker')).stdout;
      return new Date(now.slice(0, 24)).getTime() > last;
    }, SLOW);
  }

  for (const kind of ['launcher', 'standby', 'keeper'] as const) {
    it(`carries on when every ${kind} is killed`, async () => {
      await started();
      for (const pid of helpers(kind)) process.kill(pid, 'SIGKILL');
      await unwedged();
    });

    it(`carries on when every ${kind} is stopped (SIGSTOP), and replaces them`, async () => {
      await started();
      const held = helpers(kind);
      for (const pid of held) process.kill(pid, 'SIGSTOP');
      await unwedged();
      // A stopped helper that held work is killed, never left to wake and do it late.
      if (kind !== 'launcher') await waitFor(`the stopped ${kind}s to be gone`, () => held.every((pid) => !isAlive(pid)), SLOW);
    });
  }

  it("hears of a run that ended under its shim stopped (SIGSTOP), and restarts it", async () => {
    await started();
    const other = await h.status('other');
    process.kill(other.pid as number, 'SIGSTOP');
    process.kill(applianceProcess(other.pid as number)?.pid as number, 'SIGKILL');
    await h.until('other', 'to be seen as ended', (s) => s.last_exit === 'signal SIGKILL', SLOW);
  });

  it('restarts an appliance whose shim is killed, with nothing of the old run left', async () => {
    await started();
    const other = await h.status('other');
    const child = applianceProcess(other.pid as number)?.pid as number;
    process.kill(other.pid as number, 'SIGKILL');
    await waitFor('the orphaned appliance to be killed', () => !isAlive(child), SLOW);
    expect((await h.status('other')).desired).toBe('running');
  });
});
