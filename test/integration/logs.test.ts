import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, program, SLOW, tomlArray } from '../support/agent-harness.js';
import { waitFor } from '../support/wait-for.js';

const LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (out|err) (.*)$/;

function parse(output: string): { time: string; stream: string; text: string }[] {
  return output
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = LINE.exec(l);
      if (!m) throw new Error(`not a log line: ${JSON.stringify(l)}`);
      return { time: m[1]!, stream: m[2]!, text: m[3]! };
    });
}

describe('logs', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  const chatty = [
    '[chatty]',
    `command = "echo one; echo two >&2; echo three; echo 'four five'; exec sleep 1000"`,
    '',
  ].join('\n');

  it('prints captured lines as TIMESTAMP STREAM TEXT, with stderr marked err', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': chatty } });
    await h.start();
    await h.running('chatty');
    await waitFor('all four lines', () => h.applianceLog('chatty').includes('four five'), SLOW);

    const logs = await h.cli('logs', '-t', '10', 'chatty');
    expect(logs.code).toBe(0);
    const lines = parse(logs.stdout);
    // stdout and stderr are separate pipes, so only the order within each stream is certain.
    expect(lines.filter((l) => l.stream === 'out').map((l) => l.text)).toEqual(['one', 'three', 'four five']);
    expect(lines.filter((l) => l.stream === 'err').map((l) => l.text)).toEqual(['two']);
    for (const { time } of lines) expect(Date.parse(time)).toBeGreaterThan(Date.now() - 5 * 60_000);
  });

  it('limits the output to the last N lines with -t', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[count]\ncommand = "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; done; exec sleep 1000"\n' } });
    await h.start();
    await waitFor('ten lines', () => h.applianceLog('count').includes('line 10'), SLOW);

    const three = await h.cli('logs', '-t', '3', 'count');
    expect(parse(three.stdout).map((l) => l.text)).toEqual(['line 8', 'line 9', 'line 10']);
    const none = await h.cli('logs', '--tail', '0', 'count');
    expect(none).toMatchObject({ code: 0, stdout: '' });
    const all = await h.cli('logs', 'count');
    expect(parse(all.stdout)).toHaveLength(10);
  });

  it('keeps printing new lines as they are produced with -f, until it is ended', async () => {
    h = new AgentHarness();
    const file = h.path('go');
    h.writeApplianceFile('a.toml', `[trig]\ncommand = ${tomlArray(...program('trigger.sh', file))}\n`);
    await h.start();
    await waitFor('the appliance to start', () => h.applianceLog('trig').includes('started'), SLOW);

    const follow = h.spawnCli('logs', '-f', 'trig');
    await follow.waitForOutput('the existing line', (out) => out.includes(' out started\n'));
    expect(follow.stdout).not.toContain('fired');

    writeFileSync(file, '');
    await follow.waitForOutput('the first new line', (out) => out.includes(' out fired 1\n'));
    writeFileSync(file, '');
    await follow.waitForOutput('the second new line', (out) => out.includes(' out fired 2\n'));
    expect(parse(follow.stdout).map((l) => l.text)).toEqual(['started', 'fired 1', 'fired 2']);
    expect(follow.running).toBe(true);

    await follow.end();
    expect(follow.running).toBe(false);
    // The agent is unharmed by a follower that went away.
    writeFileSync(file, '');
    await waitFor('the line after the follower left', () => h.applianceLog('trig').includes('fired 3'), SLOW);
    expect((await h.status('trig')).state).toBe('running');
  });

  it('fails with exit 1 and names the appliance when asked for the logs of an unknown one', async () => {
    h = new AgentHarness();
    await h.start();
    const logs = await h.cli('logs', 'ghost');
    expect(logs.code).toBe(1);
    expect(logs.stderr).toContain('ghost');
  });
});
