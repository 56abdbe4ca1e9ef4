import { afterEach, describe, expect, it } from 'vitest';
import type { ApplianceStatus } from '../../src/model/appliance-status.js';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { eventsOf, readEvents } from '../support/supervision-kit.js';
import { waitFor } from '../support/wait-for.js';

/** An appliance that runs briefly and exits with `code`, under the `restart` given as TOML. */
function exiting(name: string, code: number, restart: string): string {
  return `[${name}]\ncommand = "sleep 0.3; exit ${code}"\nrestart = ${restart}\n`;
}

/** Ended for good: no process, no start scheduled, not once restarted. */
function restedAs(state: 'crashed' | 'stopped') {
  return (s: ApplianceStatus): boolean => s.state === state && s.next_start_in_ms === null && s.pid === null;
}

describe('event bindings', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('reads the shorthands: always and true restart a crash and a clean exit, crash restarts only a crash, never and false restart nothing', async () => {
    const shorthands = { always: '"always"', true: 'true', crash: '"crash"', never: '"never"', false: 'false' };
    h = new AgentHarness({
      appliances: {
        'a.toml': Object.entries(shorthands)
          .map(([name, restart]) => exiting(`${name}-crash`, 3, restart) + exiting(`${name}-exit0`, 0, restart))
          .join('\n'),
      },
    });
    await h.start();

    for (const name of ['always-crash', 'always-exit0', 'true-crash', 'true-exit0', 'crash-crash']) {
      const s = await h.until(name, 'to have restarted twice', (x) => x.restarts >= 2);
      expect(s.last_exit).toBe(name.endsWith('crash') ? 'exit 3' : 'exit 0');
    }
    for (const name of ['crash-exit0', 'never-exit0', 'false-exit0']) {
      const s = await h.until(name, 'to stop for good', restedAs('stopped'));
      expect(s).toMatchObject({ restarts: 0, starts: 1, last_exit: 'exit 0' });
    }
    for (const name of ['never-crash', 'false-crash']) {
      const s = await h.until(name, 'to be left crashed', restedAs('crashed'));
      expect(s).toMatchObject({ restarts: 0, starts: 1, last_exit: 'exit 3' });
    }
  });

  it('restarts on exactly the events a restart table binds: crash = "restart" and stop = "restart"; crash = "stop" and "ignore" leave it crashed', async () => {
    h = new AgentHarness({
      appliances: {
        'a.toml': [
          exiting('on-crash', 3, '{ crash = "restart" }'),
          exiting('on-crash-exit0', 0, '{ crash = "restart" }'),
          exiting('on-stop', 0, '{ stop = "restart" }'),
          exiting('on-stop-crash', 3, '{ stop = "restart" }'),
          exiting('crash-stops', 3, '{ crash = "stop" }'),
          exiting('crash-ignored', 3, '{ crash = "ignore", stop = "restart" }'),
        ].join('\n'),
      },
    });
    await h.start();

    await h.until('on-crash', 'to restart after crashes', (x) => x.restarts >= 2 && x.last_exit === 'exit 3');
    await h.until('on-stop', 'to restart after clean exits', (x) => x.restarts >= 2 && x.last_exit === 'exit 0');
    expect(await h.until('on-crash-exit0', 'to stop for good', restedAs('stopped'))).toMatchObject({ restarts: 0, starts: 1 });
    for (const name of ['on-stop-crash', 'crash-stops', 'crash-ignored']) {
      const s = await h.until(name, 'to be left crashed', restedAs('crashed'));
      expect(s).toMatchObject({ restarts: 0, starts: 1, last_exit: 'exit 3' });
    }
  });

  it('takes the last binding of an event in the list form: [["crash","stop"],["crash","restart"]] restarts, the reverse does not', async () => {
    h = new AgentHarness({
      appliances: {
        'a.toml': [
          exiting('restart-last', 3, '[["crash", "stop"], ["crash", "restart"]]'),
          exiting('stop-last', 3, '[["crash", "restart"], ["crash", "stop"]]'),
        ].join('\n'),
      },
    });
    await h.start();

    await h.until('restart-last', 'to restart after crashes', (x) => x.restarts >= 2);
    const s = await h.until('stop-last', 'to be left crashed', restedAs('crashed'));
    expect(s).toMatchObject({ restarts: 0, starts: 1 });
  });

  it('removes an appliance bound with stop = "destroy" once it exits, for good: it is gone after an agent restart too', async () => {
    h = new AgentHarness({
      appliances: {
        'a.toml': [
          exiting('once', 0, '{ stop = "destroy" }'),
          exiting('crash-once', 3, '{ crash = "destroy" }'),
          '[keeper]\ncommand = "sleep 1000"\n',
        ].join('\n'),
      },
    });
    await h.start();
    await h.running('keeper');

    // `status` fails (404) once the appliance is forgotten.
    await waitGone(h, 'once');
    await waitGone(h, 'crash-once');
    const events = readEvents(h);
    expect(eventsOf(events, 'once', 'started')).toHaveLength(1);
    expect(eventsOf(events, 'once').at(-1)).toMatchObject({ event: { kind: 'stop' } });
    expect(eventsOf(events, 'crash-once').at(-1)).toMatchObject({ event: { kind: 'crash' } });

    expect(await h.stop()).toBe(0);
    await h.start();
    await h.running('keeper');
    expect((await h.client.status()).map((s) => s.name)).toEqual(['keeper']);
  });
});

async function waitGone(h: AgentHarness, name: string): Promise<void> {
  await waitFor(`${name} to be removed`, async () => (await h.client.status()).every((s) => s.name !== name), SLOW);
  const gone = await h.cli('status', name);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toContain(name);
}
