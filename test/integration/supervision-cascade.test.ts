import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { applianceProcess } from '../support/proc.js';
import { busiestWindow, eventsOf, gaps, readEvents, TIMER_SLACK_MS } from '../support/supervision-kit.js';
import { waitFor } from '../support/wait-for.js';

const DEPENDENTS = 50;
const MAX_RESTARTS = 10;
const WINDOW_MS = 1000;
const WAIT_MS = 300;
/** How much later than the throttle's own time a start's stamp in the log may be. */
const STAMP_SLACK_MS = 50;

describe('the cascading restart throttle', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('keeps a dependency that crashes repeatedly under 50 dependents from causing a restart storm, and ends with all of them running', async () => {
    h = new AgentHarness({
      extraConfig: `[supervision]\nmax_restarts = ${MAX_RESTARTS}\nwindow = "${WINDOW_MS}ms"\nrestart_jitter = "50ms"\n`,
    });
    const crashing = h.path('crashing');
    const names = Array.from({ length: DEPENDENTS }, (_, i) => `dep${String(i).padStart(2, '0')}`);
    h.writeApplianceFile('a.toml', [
      '[db]',
      // While the file is there, every run of db crashes shortly after it starts.
      `command = "if [ -e ${crashing} ]; then sleep 0.3; exit 3; fi; exec sleep 1000"`,
      'restart = "crash"',
      '',
    ].join('\n'));
    // `_` gives every appliance of its file these keys.
    h.writeApplianceFile('dependents.toml', [
      '[_]',
      'command = "sleep 1000"',
      'depends = ["db"]',
      `restart = { dependency = "restart", limit = { n = 1000, wait = "${WAIT_MS}ms" } }`,
      '',
      ...names.map((name) => `[${name}]`),
      '',
    ].join('\n'));
    await h.start();
    const db = await h.running('db');
    await waitFor('every dependent to run', async () => (await h.client.status()).filter((s) => s.state === 'running').length === DEPENDENTS + 1, SLOW);
    const bootEnd = readEvents(h).length;

    // db starts crashing: killed once, and from then on every run crashes.
    writeFileSync(crashing, '');
    process.kill((await waitFor('the db process', () => applianceProcess(db.pid!), SLOW)).pid, 'SIGKILL');
    await waitFor('db to crash three times', () => eventsOf(readEvents(h).slice(bootEnd), 'db', 'crash').length >= 3, SLOW);
    rmSync(crashing);

    await waitFor('db and every dependent to run again', async () => {
      const statuses = await h.client.status();
      return statuses.length === DEPENDENTS + 1 && statuses.every((s) => s.state === 'running');
    }, 60_000);

    const events = readEvents(h).slice(bootEnd);
    // Every restart the storm caused, agent-wide: db's and the dependents'.
    const restartStarts = events.filter((e) => e.event.kind === 'start');
    expect(eventsOf(events, 'db', 'crash').length).toBeGreaterThanOrEqual(3);
    expect(restartStarts.length).toBeGreaterThan(DEPENDENTS);
    // The log stamps a start (in whole ms) a little after the throttle let it begin, so two
    // starts a full window apart can look closer than that: by a few ms, or by a garbage
    // collection's pause on a loaded machine (seen: 11 in 990 ms once in a full CI run).
    // Unthrottled, the 50 dependents would all start within a few ms of one another.
    expect(busiestWindow(restartStarts.map((e) => e.t), WINDOW_MS - STAMP_SLACK_MS)).toBeLessThanOrEqual(MAX_RESTARTS);

    for (const name of names) {
      const told = eventsOf(events, name, 'dependency');
      expect(told.length).toBeGreaterThanOrEqual(1);
      expect(told[0]!.event).toMatchObject({ dep: 'db', what: 'crash' });
      // The limit's wait, between being stopped for db and starting again.
      const waited = gaps(events, name, (e) => e.event.kind === 'stop' && e.state === 'waiting', (e) => e.event.kind === 'start');
      expect(waited.length).toBeGreaterThanOrEqual(1);
      for (const gap of waited) expect(gap).toBeGreaterThanOrEqual(WAIT_MS - TIMER_SLACK_MS);
    }
  }, 120_000);
});
