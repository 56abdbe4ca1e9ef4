import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { groupAlive, processStartDate, processStartTime, signalGroup } from '../../src/runners/process-group.js';
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
    const started = processStartDate(mine as string).getTime();
    expect(started).toBeLessThanOrEqual(Date.now());
    expect(started).toBeGreaterThan(Date.now() - process.uptime() * 1000 - 60_000);
  });
});
