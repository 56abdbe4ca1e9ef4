/**
 * The standby pool with real standby shims (the shim script under /bin/sh), started by a
 * launcher that can be told to lose a fill, as a launcher stopped or killed with it in hand does.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { processState, signalGroup } from '../../src/runners/process-group.js';
import { SHIM_SCRIPT } from '../../src/runners/shell-shim.js';
import type { ShimLauncher } from '../../src/runners/shim-launcher.js';
import { ShimPool } from '../../src/runners/shim-pool.js';
import { waitFor } from '../support/wait-for.js';

describe('shim pool', () => {
  const started: number[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const pid of started.splice(0)) signalGroup(pid, 'SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A launcher that starts the first `fills` standbys it is asked for, and loses the rest. */
  function launcher(fills: number): { launcher: ShimLauncher; asked: () => number } {
    let asked = 0;
    const fake = {
      standby: (dir: string, ready: string, id: string) => {
        asked++;
        if (asked > fills) return;
        const child = spawn('/bin/sh', ['-c', SHIM_SCRIPT, 'spew-shim', `wait:${id}`, dir, ready, ''], { detached: true, stdio: 'ignore' });
        started.push(child.pid as number);
        child.unref();
      },
    };
    return { launcher: fake as unknown as ShimLauncher, asked: () => asked };
  }

  it('never takes the shim of a run this slot served for a standby that did not come', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spew-pool-'));
    dirs.push(dir);
    const runDir = mkdtempSync(join(dir, 'run-'));
    const l = launcher(1);
    const pool = new ShimPool(join(dir, 'pool'), 1, l.launcher);
    pool.open();
    const spec = 'exec 3>/dev/null 4>/dev/null; set -- sleep 1000';
    let standby: ReturnType<ShimPool['take']>;
    await waitFor('the standby ready', () => (standby = pool.take(runDir, spec)) !== undefined, 5_000);
    const shim = standby!.shim;
    // The shim runs its appliance (its claim written, as the agent hears on the lifeline); the
    // slot is filled again, and that fill is lost.
    await waitFor('the run claimed', () => existsSync(join(runDir, 'pid')), 5_000);
    pool.served(standby!.slot);
    await waitFor('the slot asked to be filled again', () => l.asked() === 2, 5_000);
    expect(processState(shim)).toBe('running');
    // Past the fill deadline, a take sweeps the slots: the lost fill is asked for again, and
    // nothing of the run that slot served before is touched.
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 11_000);
    expect(pool.take(runDir, spec)).toBeUndefined();
    vi.restoreAllMocks();
    expect(l.asked()).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processState(shim)).toBe('running');
    await pool.close();
  });
});
