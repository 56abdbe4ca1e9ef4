import { describe, expect, it, vi } from 'vitest';
import { DockerRun } from '../../../src/runners/docker/docker-run.js';

function run(): { run: DockerRun; sent: string[] } {
  const sent: string[] = [];
  return { run: new DockerRun('ref1', (id, signal) => sent.push(`${id} ${signal}`)), sent };
}

describe('DockerRun', () => {
  it('keeps a stop asked before the container runs, sends it once it does, then kills at the timeout', () => {
    vi.useFakeTimers();
    try {
      const { run: r, sent } = run();
      r.stop('SIGINT', 1000);
      r.stop('SIGTERM', 1000);
      expect([r.endRequested, r.requestedSignal, sent]).toEqual([true, 'SIGINT', []]);
      r.bind('c1');
      r.markLive(42, new Date(0));
      expect([r.pid, r.live, sent]).toEqual([42, true, ['c1 SIGINT']]);
      vi.advanceTimersByTime(1000);
      expect(sent).toEqual(['c1 SIGINT', 'c1 SIGKILL']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets a kill override a stop, and asks nothing of a run that has ended', async () => {
    const { run: r, sent } = run();
    r.bind('c1');
    r.markLive(42, new Date(0));
    r.stop('SIGTERM', 60_000);
    r.kill();
    r.settle({ kind: 'signal', signal: 'SIGKILL' });
    r.stop('SIGTERM', 1);
    r.kill();
    expect(sent).toEqual(['c1 SIGTERM', 'c1 SIGKILL']);
    expect(await r.exited).toEqual({ kind: 'signal', signal: 'SIGKILL' });
    expect(await r.up).toBe(42);
    expect([r.ended, r.ending, r.live, r.containerId]).toEqual([true, true, false, 'c1']);
  });

  it('collects an end once, keeping an out-of-memory report the engine made while it ran', () => {
    const { run: r } = run();
    expect(r.beginEnd()).toBe(false);
    r.bind('c1');
    r.markLive(42, new Date(0));
    r.markOom();
    expect(r.beginEnd()).toBe(true);
    expect([r.oomKilled, r.ending, r.ended]).toEqual([true, true, false]);
    expect(r.beginEnd()).toBe(false);
  });

  it('answers up with 0 for a run that failed before its container ran', async () => {
    const { run: r } = run();
    r.fail('no such image');
    expect(await r.up).toBe(0);
    expect(await r.exited).toEqual({ kind: 'spawn-error', message: 'no such image' });
    r.bind('c1');
    r.markLive(42, new Date(0));
    expect([r.live, r.pid, r.containerId]).toEqual([false, 0, undefined]);
  });
});
