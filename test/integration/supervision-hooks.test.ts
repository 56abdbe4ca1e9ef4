import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { processesMatching } from '../support/proc.js';
import { eventsOf, readEvents, WebhookReceiver } from '../support/supervision-kit.js';
import { waitFor } from '../support/wait-for.js';

/** The lifecycle every hook test drives: a crash, a restart, a crash again, `failed`. */
const CRASH_TWICE = 'command = "sleep 0.2; exit 3"\nrestart = { crash = "restart", limit = { n = 1 } }';

interface HookLine {
  event: string;
  appliance: string;
  ref: string;
  state: string;
  reason: string;
}

describe('hooks', () => {
  let h: AgentHarness;
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await h.cleanup();
    await receiver?.close();
    receiver = undefined;
  });

  /** A file outside `include`, applied with `spew apply` so that its `create` hooks fire. */
  function applyFile(text: string): string {
    const path = h.path('hooked.toml');
    writeFileSync(path, text);
    return path;
  }

  it('runs a command hook for create, start, crash, restart, failed and remove, with SPEW_APPLIANCE, SPEW_REF, SPEW_EVENT, SPEW_REASON and SPEW_STATE set', async () => {
    h = new AgentHarness();
    const out = h.path('hooks.txt');
    const record = `{ run = 'printf "%s|%s|%s|%s|%s\\n" "$SPEW_EVENT" "$SPEW_APPLIANCE" "$SPEW_REF" "$SPEW_STATE" "$SPEW_REASON" >> ${out}' }`;
    const events = ['create', 'start', 'crash', 'restart', 'failed', 'remove'];
    const file = applyFile([
      '[hooked]',
      CRASH_TWICE,
      '[hooked.hooks]',
      ...events.map((event) => `${event} = [${record}]`),
      '',
    ].join('\n'));
    await h.start();
    expect((await h.cli('apply', file)).code).toBe(0);
    const failed = await h.until('hooked', 'to fail', (s) => s.state === 'failed');
    expect((await h.cli('remove', 'hooked')).code).toBe(0);

    const expected = { create: 1, start: 2, crash: 2, restart: 1, failed: 1, remove: 1 };
    let counts: Record<string, number> = {};
    const lines = await waitFor(`every hook to have run (${JSON.stringify(expected)})`, () => {
      let text: string;
      try {
        text = readFileSync(out, 'utf8');
      } catch {
        return false;
      }
      const parsed = text.trim().split('\n').map((line): HookLine => {
        const [event = '', appliance = '', ref = '', state = '', reason = ''] = line.split('|');
        return { event, appliance, ref, state, reason };
      });
      counts = Object.fromEntries(events.map((e) => [e, parsed.filter((l) => l.event === e).length]));
      return JSON.stringify(counts) === JSON.stringify(expected) && parsed;
    }, SLOW).catch((err: Error) => {
      throw new Error(`${err.message}; ran: ${JSON.stringify(counts)}`, { cause: err });
    });

    for (const line of lines) expect(line).toMatchObject({ appliance: 'hooked', ref: failed.ref });
    const by = (event: string): HookLine[] => lines.filter((l) => l.event === event);
    expect(by('create')[0]).toMatchObject({ state: 'stopped', reason: 'created' });
    expect(by('start')[0]).toMatchObject({ state: 'running' });
    expect(by('start')[0]!.reason).toMatch(/^started, pid \d+$/);
    for (const crash of by('crash')) expect(crash.reason).toMatch(/^exit 3/);
    expect(by('restart')[0]).toMatchObject({ state: 'waiting', reason: 'exit 3, restarting; restart 1 of 1' });
    expect(by('failed')[0]).toMatchObject({ state: 'failed', reason: 'exit 3; 1 restart, the limit' });
    expect(by('remove')[0]).toMatchObject({ reason: 'removed' });
  });

  it('posts each hooked event as JSON to a webhook receiver', async () => {
    receiver = await new WebhookReceiver().start();
    h = new AgentHarness();
    const post = (event: string): string => `${event} = [{ post = "${receiver!.url(`/hooks/${event}`)}", timeout = "5s" }]`;
    h.writeApplianceFile('a.toml', ['[posted]', CRASH_TWICE, '[posted.hooks]', post('start'), post('restart'), post('failed'), '']
      .join('\n'));
    await h.start();
    const failed = await h.until('posted', 'to fail', (s) => s.state === 'failed');

    await waitFor('the failed hook to be posted', () => receiver!.received.some((r) => r.path === '/hooks/failed'), SLOW);
    await waitFor('both start hooks to be posted', () => receiver!.received.filter((r) => r.path === '/hooks/start').length === 2, SLOW);
    const body = (path: string): Record<string, unknown> => receiver!.received.find((r) => r.path === path)!.body;
    expect(body('/hooks/start')).toMatchObject({ appliance: 'posted', ref: failed.ref, event: 'start', state: 'running' });
    expect(body('/hooks/restart')).toMatchObject({
      appliance: 'posted',
      ref: failed.ref,
      event: 'restart',
      state: 'waiting',
      reason: 'exit 3, restarting; restart 1 of 1',
      // The event that fired the hook, with its facts.
      cause: { kind: 'crash', reason: { kind: 'exit', code: 3 } },
    });
    expect(body('/hooks/failed')).toMatchObject({ event: 'failed', state: 'failed', reason: 'exit 3; 1 restart, the limit' });
    for (const { body: sent } of receiver.received) expect(Number.isNaN(Date.parse(String(sent.time)))).toBe(false);
  });

  it('records a hanging hook as hook-failed at its timeout, kills it, and never holds the restart it was fired by', async () => {
    const marker = `hook-hang-${process.pid}-${Date.now()}`;
    h = new AgentHarness({
      appliances: {
        'a.toml': [
          '[stubborn]',
          'command = "sleep 0.3; exit 3"',
          'restart = { crash = "restart", limit = { n = 3 } }',
          '[stubborn.hooks]',
          `restart = [{ run = "sleep 100; echo ${marker}", timeout = "300ms" }]`,
          '',
        ].join('\n'),
      },
    });
    await h.start();
    await h.until('stubborn', 'to fail after three restarts', (s) => s.state === 'failed' && s.restarts === 3);

    const hookFailed = await waitFor('three hook-failed events', () => {
      const found = eventsOf(readEvents(h), 'stubborn', 'hook-failed');
      return found.length === 3 && found;
    }, SLOW);
    for (const failure of hookFailed) {
      expect(failure.event).toEqual({
        kind: 'hook-failed',
        hook: 'restart',
        action: `run sleep 100; echo ${marker}`,
        error: 'timed out after 300ms',
      });
    }
    // Each restart began at once, before its hook had even timed out.
    const mine = eventsOf(readEvents(h), 'stubborn').filter((e) => e.event.kind !== 'hook-failed');
    mine.forEach((e, i) => {
      if (e.event.kind === 'crash' && e.state === 'waiting') expect(mine[i + 1]?.event.kind).toBe('start');
    });
    const firstRestart = eventsOf(readEvents(h), 'stubborn', 'start')[1]!;
    expect(firstRestart.t).toBeLessThanOrEqual(hookFailed[0]!.t);
    await waitFor('the hanging hooks to be killed', () => processesMatching(marker).length === 0, SLOW);
  });
});
