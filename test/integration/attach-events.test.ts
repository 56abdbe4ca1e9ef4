import { afterEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/model/appliance-status.js';
import { AgentHarness, program, SLOW, tomlArray } from '../support/agent-harness.js';
import { waitFor } from '../support/wait-for.js';

describe('spew attach', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('sends its input to an appliance created with stdin = true and shows the answer, which is also logged', async () => {
    h = new AgentHarness({
      appliances: { 'a.toml': `[echo]\ncommand = ${tomlArray(...program('echo-stdin.sh'))}\nstdin = true\n` },
    });
    await h.start();
    await h.running('echo');
    await waitFor('the appliance to be ready', () => h.applianceLog('echo').includes('ready'), SLOW);

    const attach = h.spawnCli('attach', 'echo');
    // Sent at once: the CLI holds its input until the session is up, and the agent listens to
    // the appliance before it reads the client's input, so the answer cannot be missed.
    attach.write('hello\n');
    await attach.waitForOutput('the answer', (out) => out.includes('got hello'));
    expect(attach.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z out got hello$/m);
    await waitFor('the answer in the log', () => h.applianceLog('echo').includes(' out got hello\n'), SLOW);

    attach.write('second line\n');
    await attach.waitForOutput('the second answer', (out) => out.includes('got second line'));
    await attach.end();
    expect((await h.status('echo')).state).toBe('running');
  });

  it('refuses to attach to an unknown appliance with exit 1', async () => {
    h = new AgentHarness();
    await h.start();
    const attach = h.spawnCli('attach', 'ghost');
    expect(await attach.exited).toBe(1);
    expect(attach.stderr).toContain('ghost');
  });
});

describe('spew events', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('lists transitions with the name, the event and the resulting state', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[web]\ncommand = "sleep 1000"\n' } });
    await h.start();
    const { pid } = await h.running('web');
    await h.cli('stop', 'web');

    const events = await h.cli('events');
    expect(events.code).toBe(0);
    const lines = events.stdout.trim().split('\n');
    const TIME = '\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z';
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${TIME} web start n=1 -> starting$`)),
      expect.stringMatching(new RegExp(`^${TIME} web started pid=${pid} -> running$`)),
      expect.stringMatching(new RegExp(`^${TIME} web stop-request kill=false -> stopping$`)),
      // An exit spew asked for is a stop, whatever the status.
      expect.stringMatching(new RegExp(`^${TIME} web stop -> stopped$`)),
    ]);
    const last = await h.cli('events', '-t', '1');
    expect(last.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('streams new transitions with -f as they happen', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[web]\ncommand = "sleep 1000"\n' } });
    await h.start();
    await h.running('web');

    const follow = h.spawnCli('events', '-f', '-t', '0');
    // The stream is open once an event made after it started shows up; keep making them.
    await waitFor('the follower to see a new event', async () => {
      if (!follow.running) throw new Error(`events -f exited: ${follow.stderr}`);
      if (follow.stdout.includes('web stop-request')) return true;
      await h.cli('restart', 'web');
      return follow.stdout.includes('web stop-request');
    }, SLOW);
    expect(follow.stdout).not.toContain('web start n=1 ');

    await h.cli('run', 'late', '--', 'sleep', '1000');
    await follow.waitForOutput('the new appliance', (out) => out.includes('late create -> stopped') && / late started pid=\d+ -> running\n/.test(out));
    await follow.end();
  });

  it('prints one JSON record per line with --json: time, ref, name, event and state', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[web]\ncommand = "sleep 1000"\n' } });
    await h.start();
    const { ref, pid } = await h.running('web');
    await h.cli('remove', 'web');

    const json = await h.cli('events', '--json');
    const records = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as EventRecord);
    for (const record of records) {
      expect(Object.keys(record).sort()).toEqual(['event', 'name', 'ref', 'state', 'time']);
      expect(record).toMatchObject({ ref, name: 'web' });
      expect(Number.isNaN(Date.parse(record.time))).toBe(false);
    }
    expect(records.map((r) => [r.event.kind, r.state])).toEqual([
      ['start', 'starting'],
      ['started', 'running'],
      ['stop-request', 'stopping'],
      ['stop', 'stopped'],
      ['delete', 'removed'],
    ]);
    expect(records[1]!.event).toEqual({ kind: 'started', pid });

    const follow = h.spawnCli('events', '-f', '--json', '-t', '0');
    await waitFor('a JSON record streamed', async () => {
      if (!follow.running) throw new Error(`events -f exited: ${follow.stderr}`);
      if (follow.stdout.includes('\n')) return true;
      await h.cli('create', `c${Date.now()}`, '--', 'true');
      return follow.stdout.includes('\n');
    }, SLOW);
    const streamed = JSON.parse(follow.stdout.split('\n')[0]!) as EventRecord;
    expect(streamed).toMatchObject({ event: { kind: 'create' }, state: 'stopped' });
    await follow.end();
  });
});
