/**
 * The agent's records damaged or lost while no agent runs: the state file, its copy, the run
 * records, the run dirs, the lock. Whatever is lost, no appliance runs twice, none is
 * forgotten while it still runs, and nothing of this instance runs on unsupervised.
 */
import { readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplianceStatus } from '../../src/model/appliance-status.js';
import { AgentHarness, SLOW, tomlArray } from '../support/agent-harness.js';
import { applianceProcess, isAlive, sessionsOfRef } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

const FILE = ['[web]', 'command = "sleep 1000"', 'restart = "always"', '', '[worker]', 'command = ["sleep", "1001"]', 'restart = "always"', ''].join('\n');

/** Each appliance has exactly one copy running, the one status shows. */
function oneCopyEach(statuses: ApplianceStatus[]): void {
  for (const s of statuses) {
    const sessions = sessionsOfRef(s.ref);
    expect([...sessions.keys()], `${s.name}'s copies`).toEqual([s.pid]);
  }
}

describe('lost and damaged records', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  async function threeRunning(): Promise<ApplianceStatus[]> {
    h = new AgentHarness({ appliances: { 'a.toml': FILE } });
    await h.start();
    expect((await h.cli('run', 'adhoc', '--restart', 'always', '--', 'sleep', '1002')).code).toBe(0);
    const all = await Promise.all(['adhoc', 'web', 'worker'].map((n) => h.running(n)));
    oneCopyEach(all);
    return all;
  }

  it('recovers every appliance from the copy when state.json is deleted while no agent runs: same refs, same processes', async () => {
    const before = await threeRunning();
    await h.kill9();
    unlinkSync(join(h.stateDir, 'state.json'));
    await h.start();
    const after = await h.client.status();
    expect(after.map((s) => [s.name, s.ref, s.pid, s.state])).toEqual(before.map((s) => [s.name, s.ref, s.pid, 'running']));
    oneCopyEach(after);
    expect(h.agentLog()).toMatch(/ERROR state: .*state\.json: it is missing; recovered all 3 appliance\(s\) from its copy/);
  });

  it.each([
    ['emptied', ''],
    ['cut short', '{"format":1,"appliances":[{"definition":'],
    ['random bytes', '\u0007\u00ff\u0000garbage\n'],
    ['of the wrong shape', '{"format":1,"appliances":{"web":1}}'],
  ])('recovers from the copy when state.json is %s, and keeps the damaged one aside', async (_what, damage) => {
    const before = await threeRunning();
    await h.kill9();
    writeFileSync(join(h.stateDir, 'state.json'), damage);
    await h.start();
    const after = await h.client.status();
    expect(after.map((s) => [s.ref, s.pid])).toEqual(before.map((s) => [s.ref, s.pid]));
    oneCopyEach(after);
    expect(readdirSync(h.stateDir).filter((f) => f.startsWith('state.json.damaged-'))).toHaveLength(1);
  });

  it('refuses to start when state.json and its copy are both damaged, naming both, and leaves the appliances running', async () => {
    const before = await threeRunning();
    await h.kill9();
    writeFileSync(join(h.stateDir, 'state.json'), 'garbage');
    writeFileSync(join(h.stateDir, 'state.json.1'), '{"format":1,');
    const refused = await h.startAnother();
    expect(refused.code).toBe(1);
    // oclif wraps a long error over lines that start with ' ›'.
    const said = refused.stderr.replace(/\s*\n\s*›\s*/g, ' ');
    expect(said).toContain(`cannot load the agent's state: ${join(h.stateDir, 'state.json')}: it is not valid JSON`);
    expect(said).toContain(`its copy ${join(h.stateDir, 'state.json.1')}: it is not valid JSON`);
    expect(said).toContain('move both aside');
    for (const s of before) expect(isAlive(s.pid as number), s.name).toBe(true);
  });

  it('never takes a lost state for a silent first boot: what ran is stopped before the files start anew', async () => {
    const before = await threeRunning();
    await h.kill9();
    unlinkSync(join(h.stateDir, 'state.json'));
    unlinkSync(join(h.stateDir, 'state.json.1'));
    await h.start();
    const after = await Promise.all(['web', 'worker'].map((n) => h.running(n)));
    // The appliance files came back as new appliances; the old copies, spew run's included, are gone.
    for (const s of before) expect(sessionsOfRef(s.ref).size, s.name).toBe(0);
    oneCopyEach(after);
    expect((await h.client.status()).map((s) => s.name)).toEqual(['web', 'worker']);
    expect(h.agentLog()).toMatch(/ERROR state: neither .*state\.json nor its copy is there, yet this instance has runs up: its state was lost/);
    expect(h.agentLog()).toMatch(/ERROR pid \d+ \(appliance adhoc, ref [0-9a-f]{12}\) belongs to this instance but to no appliance the agent has: stopping it/);
  });

  it.each([
    ['deleted', (path: string) => unlinkSync(path)],
    ['garbage', (path: string) => writeFileSync(path, 'not a record\n')],
  ])('re-adopts a run whose pid record is %s: no second copy', async (_what, damage) => {
    const before = await threeRunning();
    await h.kill9();
    for (const s of before) damage(join(h.stateDir, 'run', s.ref, 'pid'));
    await h.start();
    const after = await h.client.status();
    expect(after.map((s) => [s.ref, s.pid, s.state, s.starts])).toEqual(before.map((s) => [s.ref, s.pid, 'running', s.starts]));
    oneCopyEach(after);
    expect(h.agentLog()).toMatch(/WARN {2}web: its pid record was (lost|damaged): re-adopted pid \d+, found by this instance's marker/);
    // The record is back: the next agent adopts by it again.
    await h.kill9();
    await h.start();
    expect((await h.client.status()).map((s) => s.pid)).toEqual(before.map((s) => s.pid));
  });

  it('stops the old copy and starts one new copy when the whole run dir is deleted', async () => {
    const before = await threeRunning();
    await h.kill9();
    rmSync(join(h.stateDir, 'run'), { recursive: true, force: true });
    await h.start();
    const after = await Promise.all(['adhoc', 'web', 'worker'].map((n) => h.until(n, 'to run anew', (s) => s.state === 'running' && s.pid !== null && s.pid !== before.find((b) => b.name === n)?.pid)));
    oneCopyEach(after);
    for (const s of before) expect(isAlive(s.pid as number), s.name).toBe(false);
    expect(h.agentLog()).toMatch(/web: stopped pid \d+, a run of it that no longer has its run dir's lifeline/);
  });

  it('kills what a run left behind when it ended while no agent ran, as it would had one been there', async () => {
    h = new AgentHarness();
    h.writeApplianceFile('a.toml', `[tree]\ncommand = ${tomlArray('/bin/sh', '-c', 'sleep 1000 & sleep 1000 & wait')}\n`);
    await h.start();
    const tree = await h.running('tree');
    await waitFor('both children', () => (sessionsOfRef(tree.ref).get(tree.pid as number)?.length ?? 0) === 3, SLOW);
    const main = applianceProcess(tree.pid as number);
    const children = (sessionsOfRef(tree.ref).get(tree.pid as number) ?? []).filter((pid) => pid !== main?.pid);
    await h.kill9();
    // The appliance's own process ends, its children stay; no agent sees it.
    process.kill(main?.pid as number, 'SIGKILL');
    await waitFor('the shim to report the end', () => !isAlive(tree.pid as number), SLOW);
    for (const pid of children) expect(isAlive(pid)).toBe(true);
    await h.start();
    await h.until('tree', 'to be seen as ended', (s) => s.last_exit === 'signal SIGKILL');
    await waitFor('the children to be gone', () => children.every((pid) => !isAlive(pid)), SLOW);
  });

  it('takes a lock holding garbage for a stale one', async () => {
    h = new AgentHarness();
    await h.start();
    await h.kill9();
    writeFileSync(join(h.stateDir, 'agent.lock'), 'garbage');
    await h.start();
    expect((await h.client.agent()).pid).toBe(h.agentPid);
  });
});
