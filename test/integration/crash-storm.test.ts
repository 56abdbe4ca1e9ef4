import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { waitFor } from '../support/wait-for.js';

describe('a crash storm', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('keeps the agent answering while two hundred appliances crash in a loop, and stops them all on request', async () => {
    const n = 200;
    const file = Array.from({ length: n }, (_, i) => `[crasher${i}]\ncommand = ["sh", "-c", "exit 1"]\nrestart = "always"\n`).join('\n');
    h = new AgentHarness({ appliances: { 'storm.toml': file } });
    await h.start();
    await waitFor('every crasher to have restarted at least once', async () => {
      const all = await h.client.status();
      return all.length === n && all.every((a) => a.restarts >= 1);
    }, SLOW);
    // While the storm goes on, the API and the CLI keep answering.
    for (let round = 0; round < 5; round++) {
      const status = await h.cli('status', '--json');
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toHaveLength(n);
    }
    const before = (await h.client.status()).reduce((sum, a) => sum + a.restarts, 0);
    await waitFor('the storm to go on', async () => (await h.client.status()).reduce((sum, a) => sum + a.restarts, 0) > before + n);
    const stop = await h.cli('stop', '--all');
    expect(stop.code).toBe(0);
    const after = await h.client.status();
    expect(after.every((a) => a.state === 'stopped' || a.state === 'crashed')).toBe(true);
  });
});
