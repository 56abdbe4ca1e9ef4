import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { waitForProcessExit } from '../../src/cli/process-exit.js';

describe('waitForProcessExit', () => {
  it('answers true once the process has ended', async () => {
    const child = spawn('sleep', ['0.2']);
    expect(await waitForProcessExit(child.pid as number, 10_000)).toBe(true);
  });

  it('counts a zombie as ended: only its parent has not reaped it yet', async () => {
    // sh forks `true` and then sleeps without waiting for it: `true` stays a zombie meanwhile.
    const parent = spawn('/bin/sh', ['-c', 'true & echo $!; exec sleep 5']);
    const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    try {
      expect(await waitForProcessExit(pid, 10_000)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('answers false when the process outlives the deadline', async () => {
    expect(await waitForProcessExit(process.pid, 100, 20)).toBe(false);
  });
});
