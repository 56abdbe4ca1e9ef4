import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness } from '../support/agent-harness.js';
import { eventsOf, gaps, readEvents, TIMER_SLACK_MS, type TimedEvent } from '../support/supervision-kit.js';
import { waitFor } from '../support/wait-for.js';

const isCrash = (e: TimedEvent): boolean => e.event.kind === 'crash';
const isStart = (e: TimedEvent): boolean => e.event.kind === 'start';

/** The line of `spew status` (no colour, full width) that shows `name`. */
async function statusLine(h: AgentHarness, name: string): Promise<string> {
  const table = await h.cli('status', name);
  expect(table.code).toBe(0);
  const line = table.stdout.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no line for ${name} in:\n${table.stdout}`);
  return line;
}

describe('restart limits', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('fails an appliance after n restarts with limit = { n }, shows "n of n", and runs it again on spew start', async () => {
    h = new AgentHarness();
    const healthy = h.path('healthy');
    h.writeApplianceFile('a.toml', [
      '[capped]',
      `command = "test -e ${healthy} && exec sleep 1000; sleep 0.1; exit 3"`,
      'restart = { crash = "restart", limit = { n = 2 } }',
    ].join('\n'));
    await h.start();

    const failed = await h.until('capped', 'to fail', (s) => s.state === 'failed');
    expect(failed).toMatchObject({
      restarts: 2,
      starts: 3,
      last_exit: 'exit 3',
      restart_limit: { used: 2, limit: 2, window_ms: null },
      next_start_in_ms: null,
    });
    expect(failed.reason).toBe('exit 3; 2 restarts, the limit');
    expect(await statusLine(h, 'capped')).toMatch(/ failed +1 +- +- +2 +2 of 2 +exit 3 +exit 3; 2 restarts, the limit$/);

    writeFileSync(healthy, '');
    const started = await h.cli('start', 'capped');
    expect(started.code).toBe(0);
    const again = await h.running('capped');
    expect(again).toMatchObject({ starts: 4, restart_limit: { used: 0, limit: 2, window_ms: null } });
    expect(await statusLine(h, 'capped')).toContain(' 0 of 2 ');
  });

  it('with limit = { n, within } keeps restarting a slow crasher whose restarts fall outside the window, and fails a fast one', async () => {
    h = new AgentHarness({
      appliances: {
        'a.toml': [
          '[slow]\ncommand = "sleep 1.3; exit 3"\nrestart = { crash = "restart", limit = { n = 2, within = "1s" } }',
          '[fast]\ncommand = "exit 3"\nrestart = { crash = "restart", limit = { n = 2, within = "1s" } }',
        ].join('\n'),
      },
    });
    await h.start();

    const fast = await h.until('fast', 'to fail', (s) => s.state === 'failed');
    expect(fast).toMatchObject({ restarts: 2, restart_limit: { used: 2, limit: 2, window_ms: 1000 } });
    expect(fast.reason).toContain('2 restarts in 1s');

    await h.until('slow', 'to restart three times', (s) => s.restarts >= 3);
    const slowEvents = eventsOf(readEvents(h), 'slow');
    expect(slowEvents.filter((e) => e.state === 'failed')).toEqual([]);
    expect(await statusLine(h, 'slow')).toMatch(/ [01] of 2 in 1s /);
  });

  it('waits the limit\'s wait between a crash and the next start: fixed, and random within [min, max]', async () => {
    h = new AgentHarness({
      appliances: {
        'a.toml': [
          '[fixed]\ncommand = "sleep 0.1; exit 3"\nrestart = { crash = "restart", limit = { n = 100, wait = "600ms" } }',
          '[ranged]\ncommand = "sleep 0.1; exit 3"\nrestart = { crash = "restart", limit = { n = 100, wait = ["300ms", "700ms"] } }',
        ].join('\n'),
      },
    });
    await h.start();
    await h.until('fixed', 'to restart three times', (s) => s.restarts >= 3);
    await h.until('ranged', 'to restart three times', (s) => s.restarts >= 3);

    const events = readEvents(h);
    const fixed = gaps(events, 'fixed', isCrash, isStart);
    const ranged = gaps(events, 'ranged', isCrash, isStart);
    expect(fixed.length).toBeGreaterThanOrEqual(3);
    expect(ranged.length).toBeGreaterThanOrEqual(3);
    for (const gap of fixed) expect(gap).toBeGreaterThanOrEqual(600 - TIMER_SLACK_MS);
    for (const gap of ranged) expect(gap).toBeGreaterThanOrEqual(300 - TIMER_SLACK_MS);
    // Drawn anew each time, never beyond the maximum (the slack is for a loaded machine).
    for (const gap of ranged) expect(gap).toBeLessThan(700 + 1000);
  });

  it('spaces restarts with backoff: each gap between a crash and the next start is longer than the one before', async () => {
    h = new AgentHarness({
      appliances: {
        'a.toml': '[backing]\ncommand = "exit 3"\nrestart = { crash = "restart", backoff = { initial = "200ms", factor = 2, max = "5s" } }\n',
      },
    });
    await h.start();
    await h.until('backing', 'to restart four times', (s) => s.restarts >= 4);

    const spaced = gaps(readEvents(h), 'backing', isCrash, isStart).slice(0, 4);
    expect(spaced).toHaveLength(4);
    spaced.forEach((gap, k) => expect(gap).toBeGreaterThanOrEqual(200 * 2 ** k - TIMER_SLACK_MS));
    for (let k = 1; k < spaced.length; k += 1) expect(spaced[k]!).toBeGreaterThan(spaced[k - 1]!);
  });

  it('retries a failed appliance by itself after retry_after, with a fresh budget, showing "next try in" meanwhile', async () => {
    h = new AgentHarness({
      appliances: {
        'a.toml': '[retrying]\ncommand = "sleep 0.1; exit 3"\nrestart = { crash = "restart", limit = { n = 1 }, retry_after = "2s" }\n',
      },
    });
    await h.start();

    const failed = await h.until('retrying', 'to fail', (s) => s.state === 'failed');
    expect(failed.next_start_in_ms).toBeGreaterThan(0);
    expect(failed.next_start_in_ms).toBeLessThanOrEqual(2000);
    expect(await statusLine(h, 'retrying')).toMatch(/ failed .* 1 of 1 +exit 3 +next try in (2s|1s|\d+ms), 1 of 1; exit 3; 1 restart, the limit$/);

    // No operator: the retry comes by itself, and fails again after one more restart.
    await waitFor('a second failure', () => eventsOf(readEvents(h), 'retrying').filter((e) => e.state === 'failed').length >= 2, 30_000);
    const events = eventsOf(readEvents(h), 'retrying');
    const firstFailed = events.findIndex((e) => e.state === 'failed');
    const retry = events[firstFailed + 1]!;
    expect(retry.event.kind).toBe('start');
    expect(retry.t - events[firstFailed]!.t).toBeGreaterThanOrEqual(2000 - TIMER_SLACK_MS);
    // A fresh budget: the retry's crash restarts once more before failing.
    const afterRetry = events.slice(firstFailed + 1).map((e) => `${e.event.kind}->${e.state}`);
    expect(afterRetry.slice(0, 6)).toEqual([
      'start->starting', 'started->running', 'crash->waiting', 'start->starting', 'started->running', 'crash->failed',
    ]);
  });

  it('shows the restarts used against the limit and when the next start comes while one is scheduled, in the table and in --json', async () => {
    h = new AgentHarness({
      appliances: {
        'a.toml': '[patient]\ncommand = "exit 3"\nrestart = { crash = "restart", limit = { n = 5, within = "1m", wait = "30s" } }\n',
      },
    });
    await h.start();
    await h.until('patient', 'to wait for its restart', (s) => s.state === 'waiting');

    const line = await statusLine(h, 'patient');
    expect(line).toMatch(/ waiting +1 +- +- +0 +1 of 5 in 1m +exit 3 +next try in (29|30)s, 1 of 5; exit 3, restarting; restart 1 of 5 in 1m, wait 30s$/);
    const json = await h.cli('status', '--json', 'patient');
    expect(json.code).toBe(0);
    const [status] = JSON.parse(json.stdout) as { restart_limit: unknown; next_start_in_ms: number; state: string }[];
    expect(status).toMatchObject({ state: 'waiting', restart_limit: { used: 1, limit: 5, window_ms: 60_000 } });
    expect(status!.next_start_in_ms).toBeGreaterThan(25_000);
    expect(status!.next_start_in_ms).toBeLessThanOrEqual(30_000);

    // A stop cancels the scheduled start.
    expect((await h.cli('stop', 'patient')).code).toBe(0);
    expect(await h.status('patient')).toMatchObject({ state: 'stopped', next_start_in_ms: null });
  });
});
