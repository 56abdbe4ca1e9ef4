/**
 * A full disk under the agent's state and logs (a real tmpfs, so root only): supervision goes
 * on, the state still reaches the disk, status says what is wrong, lost output is counted, and
 * everything resumes by itself once there is room again.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { isAlive } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

const root = process.getuid?.() === 0;

describe.runIf(root)('a full disk', () => {
  let h: AgentHarness;
  let mount: string;
  afterEach(async () => {
    await h.cleanup().catch(() => undefined);
    try {
      execFileSync('umount', ['-l', mount]);
    } catch {
      // Not mounted.
    }
  });

  /** Keeps the tmpfs full to the last byte, as an appliance gone mad would: what is freed is taken at once. */
  function fill(): ChildProcess {
    const filler = spawn('/bin/sh', ['-c', `while :; do cat /dev/zero >>"${mount}/fill" 2>/dev/null; sleep 0.02; done`], { stdio: 'ignore', detached: true });
    fillers.push(filler);
    return filler;
  }
  const fillers: ChildProcess[] = [];
  afterEach(() => {
    for (const filler of fillers.splice(0)) {
      try {
        process.kill(-(filler.pid as number), 'SIGKILL');
      } catch {
        // Stopped by the test already.
      }
    }
  });

  it('keeps supervising, saves its state, says so in status, counts lost output, and recovers when room comes back', async () => {
    h = new AgentHarness({
      stopTimeout: '2s',
      dataDir: (dir) => {
        mount = join(dir, 'disk');
        mkdirSync(mount);
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', mount]);
        return mount;
      },
    });
    await h.start();
    expect((await h.cli('run', 'crashy', '--restart', 'always', '--', 'sh', '-c', 'sleep 0.2; exit 1')).code).toBe(0);
    expect((await h.cli('run', 'chatty', '--', 'sh', '-c', 'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 0.01; done')).code).toBe(0);
    await h.until('crashy', 'to restart a few times', (s) => s.restarts >= 3);

    const filler = fill();
    const whileFull = await waitFor('status to tell of the full disk', async () => {
      const answer = await h.client.statusAnswer();
      return (answer.warnings ?? []).some((w) => /chatty: \d+ line\(s\) of output lost since .*(no space|ENOSPC)/i.test(w)) && answer;
    }, SLOW);
    expect(whileFull.appliances.find((a) => a.name === 'crashy')?.state).not.toBe('failed');
    // It goes on: restarts that run, starts that the full disk made fail tried again.
    const crashyFull = await h.until('crashy', 'to go on on the full disk', (s) => s.starts >= (whileFull.appliances.find((a) => a.name === 'crashy')?.starts ?? 0) + 3);
    expect((await h.client.statusAnswer()).warnings?.some((w) => /^the agent's state cannot be saved/.test(w))).toBe(false);
    // A kill -9 while the disk is full: what status said has reached the disk (the reserve).
    await h.kill9();
    process.kill(-(filler.pid as number), 'SIGKILL');
    await waitFor('the filler to stop', () => !isAlive(filler.pid as number), SLOW);
    rmSync(`${mount}/fill`);
    await h.start();
    const after = await h.status('crashy');
    // The state written on the full disk holds what status showed then: counters never go back.
    expect(after.restarts).toBeGreaterThanOrEqual(crashyFull.restarts);
    // Room again: nothing stays stuck, and the log says where lines went missing.
    await h.until('crashy', 'to restart again', (s) => s.restarts >= after.restarts + 2);
    await waitFor('the log to tell of the lost lines', () => /err spew: \d+ line\(s\) of output were lost here since/.test(h.applianceLog('chatty')), SLOW);
    await waitFor('status to be clear again', async () => (await h.client.statusAnswer()).warnings === undefined, SLOW);
  });
});
