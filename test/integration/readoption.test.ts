import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/model/appliance-status.js';
import { AgentHarness, PROGRAMS, program, SLOW, tomlArray } from '../support/agent-harness.js';
import { applianceProcess, liveGroupMembers, processesMatching } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

/** The counter's latest number, from the file it rewrites on every step. */
function readCount(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch {
    return undefined;
  }
}

/** The numbers the counter printed, in the order the log has them. */
function loggedNumbers(logs: string): number[] {
  return logs
    .split('\n')
    .filter((l) => / out \d+$/.test(l))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

async function events(h: AgentHarness): Promise<EventRecord[]> {
  const { stdout } = await h.cli('events', '--json', '-t', '1000');
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as EventRecord);
}

describe('kill -9 of the agent and re-adoption', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('re-adopts a running appliance: the same process, no output lost while no agent ran, no second copy', async () => {
    h = new AgentHarness();
    const countFile = h.path('count');
    h.writeApplianceFile('a.toml', `[counter]\ncommand = ${tomlArray(...program('counter.sh', countFile))}\nrestart = "always"\n`);
    await h.start();
    const before = await h.running('counter');
    await waitFor('the counter to count', () => (readCount(countFile) ?? 0) >= 5, SLOW);

    await h.kill9();
    const atKill = await waitFor('the count at the kill', () => readCount(countFile), SLOW);
    // About a second of output goes into the pipe while no agent reads it.
    await waitFor('the counter to go on without an agent', () => (readCount(countFile) ?? 0) >= atKill + 20, SLOW);

    await h.start();
    const after = await h.status('counter');
    expect(after).toMatchObject({ state: 'running', pid: before.pid, starts: before.starts, restarts: before.restarts });
    expect(after.reason).toContain('re-adopted');

    const atAdopt = await waitFor('the count at adoption', () => readCount(countFile), SLOW);
    await waitFor('the new agent to capture new output', () => loggedNumbers(h.applianceLog('counter')).some((n) => n > atAdopt + 5), SLOW);
    const numbers = loggedNumbers((await h.cli('logs', '-t', '100000', 'counter')).stdout);
    expect(numbers[0]).toBe(0);
    const last = numbers[numbers.length - 1]!;
    expect(last).toBeGreaterThan(atAdopt);
    // Every number exactly once, in order: nothing lost and nothing captured twice.
    expect(numbers).toEqual(Array.from({ length: last + 1 }, (_, i) => i));

    // One copy of the loop runs: the adopted one, in the adopted group.
    const loops = processesMatching(countFile).filter((p) => p.cmdline.startsWith(`/bin/sh ${PROGRAMS}/counter.sh`));
    expect(loops).toHaveLength(1);
    expect(loops[0]!.pgrp).toBe(before.pid);

    // The new agent watches the adopted process as its own: a crash is noticed and restarted.
    const loop = applianceProcess(before.pid!);
    expect(loop?.pid).toBe(loops[0]!.pid);
    process.kill(loop!.pid, 'SIGKILL');
    const restarted = await h.until('counter', 'to be restarted', (s) => s.restarts === before.restarts + 1 && s.state === 'running');
    expect(restarted.pid).not.toBe(before.pid);
    expect(restarted.last_exit).toBe('signal SIGKILL');
    expect(liveGroupMembers(before.pid!)).toEqual([]);
  });

  it('reports an appliance that ended while no agent ran when the next agent starts, applying its restart policy', async () => {
    h = new AgentHarness();
    const doneA = h.path('done-a');
    const doneB = h.path('done-b');
    h.writeApplianceFile('a.toml', [
      '[again]',
      `command = ${tomlArray(...program('exit-when.sh', doneA, '3'))}`,
      'restart = "crash"',
      '',
      '[once]',
      `command = ${tomlArray(...program('exit-when.sh', doneB, '4'))}`,
      'restart = "never"',
      '',
    ].join('\n'));
    await h.start();
    const again = await h.running('again');
    const once = await h.running('once');

    await h.kill9();
    writeFileSync(doneA, '');
    writeFileSync(doneB, '');
    await waitFor('both to exit with no agent', () => liveGroupMembers(again.pid!).length === 0 && liveGroupMembers(once.pid!).length === 0, SLOW);
    // The restarted run should keep running.
    rmSync(doneA);

    await h.start();
    const againAfter = await h.running('again');
    expect(againAfter).toMatchObject({ restarts: 1, starts: 2, last_exit: 'exit 3' });
    expect(againAfter.pid).not.toBe(again.pid);
    const onceAfter = await h.status('once');
    expect(onceAfter).toMatchObject({ state: 'crashed', restarts: 0, starts: 1, last_exit: 'exit 4', pid: null });

    const crashes = (await events(h)).filter((e) => e.event.kind === 'crash');
    expect(crashes.map((e) => [e.name, e.event.reason, e.state])).toEqual(expect.arrayContaining([
      ['again', { kind: 'exit', code: 3 }, 'waiting'],
      ['once', { kind: 'exit', code: 4 }, 'crashed'],
    ]));

    // A third agent does not report the same ending again.
    expect(await h.stop()).toBe(0);
    await h.start();
    expect(await h.running('again')).toMatchObject({ restarts: 1 });
    const exit3 = (await events(h)).filter((e) => e.name === 'again' && e.event.kind === 'crash' && (e.event.reason as { code?: number }).code === 3);
    expect(exit3).toHaveLength(1);
  });
});

describe('handoff', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('exits 0 on SIGUSR2 leaving appliances running, and the next agent adopts them', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[web]\ncommand = "sleep 1000"\n' } });
    await h.start();
    const before = await h.running('web');

    const exit = await h.endAgent('SIGUSR2');
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(liveGroupMembers(before.pid!).length).toBeGreaterThan(0);

    await h.start();
    const after = await h.running('web');
    expect(after).toMatchObject({ ref: before.ref, pid: before.pid, starts: 1, restarts: 0 });
    expect(after.reason).toContain('re-adopted');
    // The adopted appliance answers to the new agent.
    expect((await h.cli('stop', 'web')).stdout).toBe('web: stopped\n');
    expect(liveGroupMembers(before.pid!)).toEqual([]);
  });

  it('hands off when asked with spew agent --handoff --config FILE', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[web]\ncommand = "sleep 1000"\n' } });
    await h.start();
    const before = await h.running('web');

    const asked = await h.cliWithout(['agent', '--handoff', '--config', h.configFile]);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain(h.socket);
    expect(await h.waitAgentExit()).toMatchObject({ code: 0 });
    expect(liveGroupMembers(before.pid!).length).toBeGreaterThan(0);

    await h.start();
    expect(await h.running('web')).toMatchObject({ pid: before.pid, starts: 1 });
  });
});
