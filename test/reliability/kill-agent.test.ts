/**
 * kill -9 of the agent at random instants while it is busy: appliances printing numbered lines
 * as fast as they can, others crashing in a loop, operators restarting and applying. After
 * every round the next agent takes over, and at the end: every number logged exactly once, in
 * order; every appliance still known, with exactly one copy running; the ones nothing touched
 * kept their process. The keeper is killed too, every third round. The figures are printed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplianceStatus } from '../../src/model/appliance-status.js';
import { AgentHarness } from '../support/agent-harness.js';
import { isAlive, sessionsOfName, sessionsOfRef } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

const ROUNDS = 12;
const LINES = 150_000;

/** Prints 0 .. n-1, one a line, as fast as the shell can, then waits. */
const numbers = (n: number): string => `i=0; while [ $i -lt ${n} ]; do echo $i; i=$((i+1)); done; exec sleep 100000`;

const FILE = [
  '[count]', `command = "${numbers(LINES)}"`, '',
  '[count2]', `command = "${numbers(LINES)}"`, '',
  '[steady]', 'command = "sleep 100000"', '',
  '[crashy]', 'command = "sleep 0.05; exit 3"', 'restart = "always"', '',
].join('\n');

/** The numbers of a log, as `spew logs` gives it. */
function numbersIn(log: string): number[] {
  return log.split('\n').filter((line) => / out \d+$/.test(line)).map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}

/** The whole log of an appliance through the API (megabytes: more than a CLI child's buffer holds). */
async function logOf(h: AgentHarness, name: string, tail: number): Promise<string> {
  let text = '';
  for await (const chunk of await h.client.logs(name, { tail })) text += String(chunk);
  return text;
}

function oneCopyEach(statuses: ApplianceStatus[]): number {
  let doubled = 0;
  for (const s of statuses) {
    const sessions = [...sessionsOfRef(s.ref).keys()];
    if (s.pid !== null && sessions.length !== 1) doubled += 1;
    if (s.pid !== null) expect(sessions, `${s.name}'s copies`).toEqual([s.pid]);
  }
  return doubled;
}

describe('random kill -9 of a busy agent', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it(`loses and doubles nothing over ${ROUNDS} kills: no line, no appliance, no process`, async () => {
    h = new AgentHarness({ appliances: { 'a.toml': FILE }, extraConfig: '[appliance_logs]\nmax_size = "1MB"\nmax_files = 20\n' });
    await h.start();
    const steady = await h.running('steady');
    let asked = 0;
    let answered = 0;
    const made = new Map<string, boolean>();
    const answer = <T>(request: Promise<T>): Promise<boolean> => request.then(() => (answered++, true), () => false);
    for (let round = 1; round <= ROUNDS; round++) {
      // Work for the agent while it dies: a restart, an appliance made, an apply that changes one.
      const work = [
        answer(h.client.restart('crashy')),
        answer(h.client.create({ spec: `extra${round}`, item: { command: ['sleep', '100000'], restart: 'always' }, start: true })).then((done) => made.set(`extra${round}`, done)),
        answer(h.client.apply({ files: [{ path: h.path('appliances.d', 'a.toml'), content: `${FILE}\n[changing]\ncommand = "sleep 10000${round}"\n` }], prune: false, dry_run: false })),
      ];
      asked += work.length;
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 300)));
      if (round % 3 === 0) for (const pid of h.keeper()) process.kill(pid, 'SIGKILL');
      await h.kill9();
      await Promise.all(work);
      await h.start();
    }
    // Done when each has logged its last number (whatever came before it, counted below).
    await waitFor('both counters to have printed everything', async () => {
      const logs = await Promise.all(['count', 'count2'].map((n) => logOf(h, n, 1)));
      return logs.every((l) => numbersIn(l).at(-1) === LINES - 1);
    }, 120_000);
    const all = await h.client.status();
    const names = all.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['count', 'count2', 'steady', 'crashy']));
    // A `spew run` the agent answered is there; one it died answering is there or not, never half.
    const forgotten = [...made].filter(([name, answered]) => answered && !names.includes(name)).map(([name]) => name);
    const unsupervised = [...made.keys()].filter((name) => !names.includes(name) && sessionsOfName(name).size > 0);
    const running = await Promise.all(all.filter((s) => s.name !== 'crashy').map((s) => h.running(s.name)));
    const doubled = oneCopyEach(running);
    const lines = await Promise.all(['count', 'count2'].map(async (name) => numbersIn(await logOf(h, name, LINES * 2))));
    const lost = lines.reduce((sum, got) => sum + LINES - new Set(got).size, 0);
    const twice = lines.reduce((sum, got) => sum + got.length - new Set(got).size, 0);
    console.log(`kill -9 of the agent: ${ROUNDS} rounds (${ROUNDS / 3} with the keeper killed too), ${asked} requests in flight (${answered} answered), ` +
      `${2 * LINES} numbered lines: ${lost} lost, ${twice} twice; ${all.length} appliances: ${forgotten.length} forgotten, ` +
      `${doubled} doubled, ${unsupervised.length} left running unsupervised`);
    expect(forgotten).toEqual([]);
    expect(unsupervised).toEqual([]);
    expect(await h.status('steady')).toMatchObject({ pid: steady.pid, starts: 1 });
    expect(isAlive(steady.pid as number)).toBe(true);
    for (const got of lines) expect(got, 'every number once, in order').toEqual(Array.from({ length: LINES }, (_, i) => i));
  }, 300_000);
});
