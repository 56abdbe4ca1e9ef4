/**
 * The log keeper for real: the C helper built by the test setup (dist/helpers/spew-keeper),
 * its FIFOs and spools, and what the agent's side makes of it when it dies or is stopped.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogKeeper, type KeeperEvents } from '../../src/runners/log-keeper.js';
import { isAlive } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

interface Heard {
  data: string[];
  dropped: string[];
  errors: string[];
}

async function keeperIn(): Promise<{ keeper: LogKeeper; dir: string; runDir: string; heard: Heard; pid: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'spew-keeper-'));
  const runDir = join(dir, 'run', 'a0a0a0a0a0a0');
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  spawnSync('mkfifo', ['-m', '0600', join(runDir, 'out'), join(runDir, 'err')]);
  const heard: Heard = { data: [], dropped: [], errors: [] };
  const events: KeeperEvents = {
    onData: (d) => heard.data.push(d),
    onDropped: (d, stream, lines, why) => heard.dropped.push(`${d} ${stream} ${lines} ${why}`),
    onError: (d, message) => heard.errors.push(`${d}: ${message}`),
  };
  const keeper = new LogKeeper(join(dir, 'keeper'), events);
  const pid = (): number => Number(readFileSync(join(dir, 'keeper', 'pid'), 'utf8').split(' ')[0]);
  cleanups.push(() => {
    keeper.close(true);
    try {
      process.kill(pid(), 'SIGKILL');
    } catch {
      // Gone already.
    }
    rmSync(dir, { recursive: true, force: true });
  });
  await keeper.open();
  keeper.watch(runDir);
  return { keeper, dir, runDir, heard, pid };
}

/**
 * Writes to a FIFO as an appliance does: through a read-write descriptor that it keeps open (a
 * pipe nobody holds open loses what is in it).
 */
function writeTo(fifo: string, text: string): void {
  const fd = openSync(fifo, constants.O_RDWR);
  cleanups.push(() => closeSync(fd));
  writeSync(fd, text);
}

const spooled = (runDir: string, stream: string): string => {
  try {
    return readFileSync(join(runDir, `${stream}.spool`), 'utf8');
  } catch {
    return '';
  }
};

describe('the log keeper', () => {
  it('moves what is written to a watched FIFO into its spool, and says so', async () => {
    const { runDir, heard } = await keeperIn();
    writeTo(join(runDir, 'out'), 'hello\n');
    writeTo(join(runDir, 'err'), 'oops\n');
    await waitFor('both spooled', () => spooled(runDir, 'out') === 'hello\n' && spooled(runDir, 'err') === 'oops\n');
    await waitFor('the news', () => heard.data.includes(runDir));
  });

  it('answers a flush with the sizes of the spools once it has moved everything there was', async () => {
    const { keeper, runDir } = await keeperIn();
    writeTo(join(runDir, 'out'), 'abc\n');
    expect(await keeper.flush(runDir)).toEqual({ out: 4, err: 0 });
  });

  it('empties a spool only when all of it has been logged', async () => {
    const { keeper, runDir } = await keeperIn();
    writeTo(join(runDir, 'out'), '12345\n');
    await keeper.flush(runDir);
    keeper.trim(runDir, 'out', 3);
    await keeper.flush(runDir);
    expect(spooled(runDir, 'out')).toBe('12345\n');
    keeper.trim(runDir, 'out', 6);
    await keeper.flush(runDir);
    expect(spooled(runDir, 'out')).toBe('');
    writeTo(join(runDir, 'out'), 'next\n');
    expect(await keeper.flush(runDir)).toEqual({ out: 5, err: 0 });
  });

  it('is replaced when it is killed, and what was written meanwhile is spooled by the next one', async () => {
    const { runDir, pid, heard } = await keeperIn();
    const first = pid();
    process.kill(first, 'SIGKILL');
    await waitFor('the first to be gone', () => !isAlive(first));
    writeTo(join(runDir, 'out'), 'written while no keeper ran\n');
    await waitFor('a new keeper to spool it', () => spooled(runDir, 'out') === 'written while no keeper ran\n', 10_000);
    expect(pid()).not.toBe(first);
    expect(heard.data).toContain('*');
  });

  it('is replaced when it is stopped (SIGSTOP): a stopped keeper holds everyone\'s output', async () => {
    const { runDir, pid } = await keeperIn();
    const first = pid();
    process.kill(first, 'SIGSTOP');
    writeTo(join(runDir, 'out'), 'after the stop\n');
    await waitFor('a new keeper to spool it', () => spooled(runDir, 'out') === 'after the stop\n', 10_000);
    await waitFor('the stopped one to be gone', () => !isAlive(first));
  });

  it('refuses to spool through a link planted as a FIFO, and says so', async () => {
    const { keeper, dir, heard } = await keeperIn();
    const planted = join(dir, 'run', 'b0b0b0b0b0b0');
    mkdirSync(planted, { mode: 0o700 });
    spawnSync('mkfifo', ['-m', '0600', join(dir, 'elsewhere')]);
    symlinkSync(join(dir, 'elsewhere'), join(planted, 'out'));
    spawnSync('mkfifo', ['-m', '0600', join(planted, 'err')]);
    keeper.watch(planted);
    await waitFor('its refusal', () => heard.errors.some((e) => e.includes(planted) && e.includes('cannot open')));
    expect(() => statSync(join(planted, 'out.spool'))).toThrow();
  });

  it('exits when told to, once it has moved everything', async () => {
    const { keeper, runDir, pid } = await keeperIn();
    const running = pid();
    writeTo(join(runDir, 'out'), 'last words\n');
    keeper.close(true);
    await waitFor('it to exit', () => !isAlive(running));
    expect(spooled(runDir, 'out')).toBe('last words\n');
  });
});
