/**
 * A follower that does not read (`spew logs -f` on a stalled terminal) while an appliance writes
 * as fast as it can: the agent's memory stays bounded, it answers everyone else, a crash loop
 * beside goes on, and the follower, once it reads again, is told how many lines it missed.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { waitFor } from '../support/wait-for.js';

function rssMiB(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

describe('a reader that falls behind', () => {
  let h: AgentHarness;
  let follower: Socket | undefined;
  afterEach(async () => {
    follower?.destroy();
    await h.cleanup();
  });

  it('costs the agent a bounded buffer, not its memory, and is told what it missed', async () => {
    h = new AgentHarness({
      // Some 8 MB a second: the agent logs it with time to spare, the stalled follower cannot take it.
      appliances: { 'a.toml': '[firehose]\ncommand = "while :; do yes \'a line of output for the follower\' | head -n 25000; sleep 0.1; done"\n\n[crashy]\ncommand = "sleep 0.2; exit 1"\nrestart = "always"\n' },
    });
    await h.start();
    await h.running('firehose');
    const before = rssMiB(h.agentPid);
    // A follower that reads nothing: its socket's buffers fill, then the agent's must not.
    const sock = connect(h.socket);
    follower = sock;
    let text = '';
    sock.on('data', (chunk: Buffer) => (text += chunk.toString('latin1').slice(-4096)));
    await new Promise<void>((resolve) => sock.on('connect', () => resolve()));
    sock.write('GET /v1/appliances/firehose/logs?tail=0&follow=1 HTTP/1.1\r\nhost: agent\r\n\r\n');
    sock.pause();
    const crashes = (await h.status('crashy')).restarts;
    let most = before;
    for (let i = 0; i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      most = Math.max(most, rssMiB(h.agentPid));
    }
    // Everyone else is answered meanwhile, and supervision goes on.
    expect((await h.cli('status')).code).toBe(0);
    await h.until('crashy', 'to go on restarting', (s) => s.restarts >= crashes + 3, SLOW);
    console.log(`slow reader: agent resident ${before.toFixed(0)} MiB before, at most ${most.toFixed(0)} MiB over 10 s of a stalled follower of 8 MB/s of output`);
    // Held for that follower, what it cannot take would be some 80 MB.
    expect(most - before).toBeLessThan(40);
    sock.resume();
    await waitFor('the follower to be told what it missed', () => /err spew: \d+ line\(s\) skipped here: this reader fell behind/.test(text), SLOW);
  });
});
