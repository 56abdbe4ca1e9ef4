import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { groupAlive, processStartTime, signalGroup, sinceBoot, stillRunning } from '../../src/runners/process-group.js';
import { waitFor } from '../support/wait-for.js';

describe('process groups', () => {
  it('signals a whole group, grandchildren included, and sees when it is gone', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 1000 & sleep 1000 & wait'], { detached: true, stdio: 'ignore' });
    const pgid = child.pid as number;
    await waitFor('the grandchildren', () => groupAlive(pgid));
    expect(signalGroup(pgid, 'SIGKILL')).toBe(true);
    await waitFor('the group to go', () => !groupAlive(pgid));
  });

  it('identifies a process by its start time, which another process cannot share', () => {
    const mine = processStartTime(process.pid);
    expect(mine).toMatch(/^\d+$/);
    expect(processStartTime(2 ** 22 + 1)).toBeUndefined();
    expect(stillRunning({ pid: process.pid, startTime: mine as string })).toBe(true);
    expect(stillRunning({ pid: process.pid, startTime: `${mine as string}1` })).toBe(false);
    // Start times count clock ticks (100 a second) from boot.
    const started = sinceBoot(Number(mine) / 100).getTime();
    expect(started).toBeLessThanOrEqual(Date.now());
    expect(started).toBeGreaterThan(Date.now() - process.uptime() * 1000 - 60_000);
  });

});
