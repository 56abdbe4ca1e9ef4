import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpCheck } from '../../src/watchers/http-check.js';
import type { LoopTimers } from '../../src/watchers/loop-timers.js';
import type { CheckResult, WatcherCheck } from '../../src/watchers/watcher-check.js';
import { WatcherLoop, type WatchVerdict } from '../../src/watchers/watcher-loop.js';
import type { WatchTiming } from '../../src/model/watcher-spec.js';
import { waitFor } from '../support/wait-for.js';
import { listen } from './listen.js';

/** Time moves only when the test says so. */
class ManualTimers implements LoopTimers {
  private time = 0;
  private pending: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.ids += 1;
    this.pending.push({ at: this.time + ms, fn, id: this.ids });
    return this.ids;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((timer) => timer.id !== handle);
  }

  get scheduled(): number {
    return this.pending.length;
  }

  /** Moves the clock on, firing what falls due in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.pending.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.pending = this.pending.filter((timer) => timer !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }
}

/** A check whose every run waits for the test to answer it. */
class ScriptedCheck implements WatcherCheck {
  runs = 0;
  active = 0;
  maxActive = 0;
  private answers: Array<(result: CheckResult) => void> = [];

  run(): Promise<CheckResult> {
    this.runs += 1;
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    return new Promise((resolve) => {
      this.answers.push((result) => {
        this.active -= 1;
        resolve(result);
      });
    });
  }

  get waiting(): number {
    return this.answers.length;
  }

  async answer(result: CheckResult): Promise<void> {
    const next = this.answers.shift();
    if (!next) throw new Error('no check is out');
    next(result);
    await settle();
  }
}

const UP: CheckResult = { outcome: 'up' };
const DOWN: CheckResult = { outcome: 'down', detail: 'status 500' };
const SLOW: CheckResult = { outcome: 'timeout', detail: 'no answer within 100ms' };

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function setup(timing: Partial<WatchTiming> = {}) {
  const timers = new ManualTimers();
  const check = new ScriptedCheck();
  const verdicts: WatchVerdict[] = [];
  const loop = new WatcherLoop(
    { interval_ms: 1000, timeout_ms: 100, retries: 3, start_period_ms: 0, ...timing },
    check,
    (verdict) => verdicts.push(verdict),
    timers,
  );
  /** Lets the interval pass and answers the check it starts. */
  const cycle = async (result: CheckResult): Promise<void> => {
    timers.advance(1000);
    await check.answer(result);
  };
  return { timers, check, verdicts, loop, cycle };
}

describe('watcher loop', () => {
  it('checks right away at start and reports up once, not for every success', async () => {
    const { check, verdicts, loop, cycle } = setup();
    loop.start();
    expect(check.runs).toBe(1);
    await check.answer(UP);
    await cycle(UP);
    await cycle(UP);
    expect(verdicts).toEqual([{ kind: 'up' }]);
    expect(loop.state).toBe('up');
  });

  it('reports down only after `retries` failures in a row, then stays silent until a success', async () => {
    const { check, verdicts, loop, cycle } = setup({ retries: 3 });
    loop.start();
    await check.answer(UP);
    await cycle(DOWN);
    await cycle(DOWN);
    await cycle(UP);
    await cycle(DOWN);
    await cycle(DOWN);
    expect(verdicts).toEqual([{ kind: 'up' }]);
    await cycle(DOWN);
    expect(verdicts).toEqual([{ kind: 'up' }, { kind: 'down', detail: 'status 500' }]);
    expect(loop.state).toBe('down');
    await cycle(DOWN);
    await cycle(SLOW);
    expect(verdicts).toHaveLength(2);
    await cycle(UP);
    expect(verdicts.at(-1)).toEqual({ kind: 'up' });
    expect(loop.state).toBe('up');
  });

  it('gives a timeout verdict when the failure that tipped it over was a timeout', async () => {
    const { check, verdicts, loop, cycle } = setup({ retries: 2 });
    loop.start();
    await check.answer(DOWN);
    await cycle(SLOW);
    expect(verdicts).toEqual([{ kind: 'timeout', detail: 'no answer within 100ms' }]);
  });

  it('reports down from an unknown state when the appliance never comes up', async () => {
    const { check, verdicts, loop, cycle } = setup({ retries: 1 });
    loop.start();
    expect(loop.state).toBe('unknown');
    await check.answer(DOWN);
    await cycle(DOWN);
    expect(verdicts).toEqual([{ kind: 'down', detail: 'status 500' }]);
  });

  it('ignores failures within the start period, and counts them after it', async () => {
    const { check, verdicts, loop, cycle } = setup({ retries: 2, start_period_ms: 3500 });
    loop.start();
    await check.answer(DOWN);
    await cycle(DOWN);
    await cycle(DOWN);
    await cycle(DOWN);
    expect(verdicts).toEqual([]);
    await cycle(DOWN);
    await cycle(DOWN);
    expect(verdicts).toEqual([{ kind: 'down', detail: 'status 500' }]);
  });

  it('ends the start period early at the first success', async () => {
    const { check, verdicts, loop, cycle } = setup({ retries: 2, start_period_ms: 60_000 });
    loop.start();
    await check.answer(UP);
    await cycle(DOWN);
    await cycle(DOWN);
    expect(verdicts).toEqual([{ kind: 'up' }, { kind: 'down', detail: 'status 500' }]);
  });

  it('waits the interval from the end of one check to the start of the next, never overlapping', async () => {
    const { timers, check, loop } = setup({ interval_ms: 1000 });
    loop.start();
    timers.advance(5000);
    expect(check.runs).toBe(1);
    await check.answer(UP);
    timers.advance(999);
    expect(check.runs).toBe(1);
    timers.advance(1);
    expect(check.runs).toBe(2);
    expect(check.maxActive).toBe(1);
  });

  it('stops checking and drops a result that arrives after stop', async () => {
    const { timers, check, verdicts, loop } = setup();
    loop.start();
    loop.stop();
    await check.answer(UP);
    timers.advance(10_000);
    expect(verdicts).toEqual([]);
    expect(check.runs).toBe(1);
    expect(timers.scheduled).toBe(0);
    expect(loop.state).toBe('unknown');
  });

  it('starts afresh on a restart: the old run’s result is dropped and checks still never overlap', async () => {
    const { check, verdicts, loop } = setup({ retries: 1 });
    loop.start();
    await check.answer(UP);
    expect(loop.state).toBe('up');
    loop.start();
    expect(loop.state).toBe('unknown');
    expect(check.runs).toBe(2);
    loop.start();
    expect(check.runs).toBe(2);
    await check.answer(DOWN);
    expect(check.runs).toBe(3);
    expect(check.maxActive).toBe(1);
    await check.answer(UP);
    expect(verdicts).toEqual([{ kind: 'up' }, { kind: 'up' }]);
  });

  it('keeps watching when the listener throws', async () => {
    const timers = new ManualTimers();
    const check = new ScriptedCheck();
    const loop = new WatcherLoop({ interval_ms: 10, timeout_ms: 10, retries: 1, start_period_ms: 0 }, check, () => {
      throw new Error('listener bug');
    }, timers);
    loop.start();
    await check.answer(UP);
    timers.advance(10);
    expect(check.runs).toBe(2);
  });

  it('follows a real HTTP server going bad and recovering, on real timers', async () => {
    let healthy = true;
    const server = createServer((_req, res) => {
      res.statusCode = healthy ? 200 : 500;
      res.end();
    });
    const port = await listen(server);
    const verdicts: WatchVerdict[] = [];
    const timing = { interval_ms: 20, timeout_ms: 500, retries: 2, start_period_ms: 0 };
    const spec = { type: 'http' as const, url: `http://127.0.0.1:${port}/`, method: 'GET', status: [200, 399] as [number, number], ...timing };
    const loop = new WatcherLoop(timing, new HttpCheck(spec), (verdict) => verdicts.push(verdict));
    try {
      loop.start();
      await waitFor('up', () => loop.state === 'up');
      healthy = false;
      await waitFor('down', () => loop.state === 'down');
      healthy = true;
      await waitFor('up again', () => loop.state === 'up');
      expect(verdicts).toEqual([{ kind: 'up' }, { kind: 'down', detail: 'status 500 (expected 200-399)' }, { kind: 'up' }]);
    } finally {
      loop.stop();
      server.closeAllConnections();
      server.close();
    }
  });
});
