/**
 * A crash storm: four hundred appliances with `restart = "always"` crashing every 100 ms, far
 * more restarts than the agent-wide throttle lets through. "always" means always: none ends
 * `failed`, every one keeps being restarted, and the agent answers throughout and stops them
 * all when told to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness } from '../support/agent-harness.js';
import { waitFor } from '../support/wait-for.js';

const N = 400;

describe('a crash storm', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it(`never gives up on ${N} restart = "always" appliances crashing every 100 ms`, async () => {
    const file = Array.from({ length: N }, (_, i) => `[storm${i}]\ncommand = "sleep 0.1; exit 1"\nrestart = "always"\n`).join('\n');
    h = new AgentHarness({ appliances: { 'storm.toml': file } });
    await h.start();
    await waitFor('every one to have restarted', async () => (await h.client.status()).every((a) => a.restarts >= 1), 180_000);
    const middle = await h.client.status();
    const restarts = (all: typeof middle): number => all.reduce((sum, a) => sum + a.restarts, 0);
    await waitFor('the storm to go on', async () => restarts(await h.client.status()) > restarts(middle) + N / 2, 120_000);
    const end = await h.client.status();
    const failed = end.filter((a) => a.state === 'failed');
    console.log(`crash storm: ${N} appliances, ${restarts(end)} restarts, ${failed.length} failed, ${end.filter((a) => a.reason.includes('trying again')).length} starts being tried again`);
    expect(failed.map((a) => `${a.name}: ${a.reason}`)).toEqual([]);
    expect(await h.stop()).toBe(0);
  }, 420_000);
});

