/**
 * The shell runner on its own, with real shims and real processes: starts through the
 * launcher and through standbys, endings, stops, hand-over to a second runner, and what it
 * does when its helpers die.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';
import type { ExitReason } from '../../src/model/appliance-state.js';
import { OutputCapture } from '../../src/logs/output-capture.js';
import { RotatingLogFile } from '../../src/logs/rotating-log-file.js';
import type { RunHandle } from '../../src/runners/runner.js';
import { SHIM_SCRIPT } from '../../src/runners/shell-shim.js';
import { ShellRunner, type ShellRunnerOptions } from '../../src/runners/shell-runner.js';
import { liveGroupMembers, processes } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spew-runner-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function def(name: string, command: ApplianceDefinition['command']): ApplianceDefinition {
  return { name, ref: `ref${name}`, command, env: {}, stdin: false } as ApplianceDefinition;
}

interface Prepared {
  runner: ShellRunner;
  lines: string[];
}

async function prepared(dir: string, appliance: ApplianceDefinition, options: ShellRunnerOptions = {}): Promise<Prepared> {
  const runner = new ShellRunner(dir, (message) => {
    throw new Error(message);
  }, options);
  cleanups.push(() => runner.detach('stop'));
  const capture = new OutputCapture(new RotatingLogFile(join(dir, `${appliance.name}.log`), { maxBytes: 1 << 20, maxFiles: 2 }));
  const lines: string[] = [];
  capture.subscribe((line) => lines.push(line));
  await runner.prepare([{ def: appliance, capture }]);
  return { runner, lines };
}

/** A started run, killed at the end of the test whatever happens. */
async function started(runner: ShellRunner, appliance: ApplianceDefinition): Promise<RunHandle & { up: Promise<number> }> {
  const handle = runner.start(appliance) as RunHandle & { up: Promise<number> };
  cleanups.push(() => {
    // By pid: a handle the runner let go of on detach no longer acts, nor ends.
    try {
      if (handle.pid > 0) process.kill(-handle.pid, 'SIGKILL');
    } catch {
      // Ended already.
    }
  });
  expect(await handle.up).toBeGreaterThan(0);
  return handle;
}

/** The launcher this test process started: the only `spew-launcher` whose parent is us. */
function launcherPids(): number[] {
  return processes().filter((p) => p.ppid === process.pid && p.cmdline.includes('spew-launcher') && p.state !== 'Z').map((p) => p.pid);
}

/** The standbys waiting in slots under `dir`, by slot, from their command lines. */
function standbys(dir: string): Map<number, number> {
  const found = new Map<number, number>();
  for (const p of processes()) {
    const match = new RegExp(`spew-shim wait:[\\w.]+ ${dir}/pool/\\w+/(\\d+) `).exec(p.cmdline);
    if (match && p.state !== 'Z') found.set(Number(match[1]), p.pid);
  }
  return found;
}

/**
 * The standby in `slot` once the runner holds it as ready. A standby shows in ps before it has
 * said `ready`; blocked reading `go`, it has said so, and one turn of our event loop later the
 * runner has read the line.
 */
async function readyStandby(dir: string, slot: number): Promise<number> {
  const pid = await waitFor(`a standby waiting in slot ${slot}`, () => {
    const found = standbys(dir).get(slot);
    return found !== undefined && /pipe_(read|wait)/.test(wchan(found)) && found;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return pid;
}

function wchan(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8');
  } catch {
    return '';
  }
}

describe('ShellRunner', () => {
  it('starts a run through the launcher, captures its output and reports how it ended', async () => {
    const dir = stateDir();
    const app = def('cold', ['/bin/sh', '-c', 'echo "out $SPEW_APPLIANCE"; exit 7']);
    const { runner, lines } = await prepared(dir, app, { standbys: 0 });
    const handle = await started(runner, app);
    expect(await handle.exited).toEqual({ kind: 'exit', code: 7 });
    await waitFor('its line', () => lines.some((line) => line.endsWith(' out out cold\n') || line.endsWith(' out out cold')));
    // Accounted for: nothing of it is left for the next agent to report.
    await waitFor('its record to go', () => !existsSync(join(dir, 'run', app.ref, 'pid')));
  });

  it('hands a restart to a standby, which then serves it as the run and is replaced', async () => {
    const dir = stateDir();
    const app = def('warm', ['/bin/sh', '-c', 'echo run; exec sleep 1000']);
    const { runner } = await prepared(dir, app, { standbys: 1 });
    const standby = await readyStandby(dir, 0);
    const handle = await started(runner, app);
    expect(handle.pid).toBe(standby);
    await waitFor('a new standby in the slot', () => (standbys(dir).get(0) ?? standby) !== standby);
    handle.kill();
    expect(await handle.exited).toEqual({ kind: 'signal', signal: 'SIGKILL' });
    expect(liveGroupMembers(handle.pid)).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('runs as the user and group asked for, with no supplementary groups (needs root)', async () => {
    const dir = stateDir();
    const app = { ...def('nobody', ['/bin/sh', '-c', 'echo "ids $(id -u) $(id -g) $(id -G)"']), user: '65534', group: '65534' };
    const { runner, lines } = await prepared(dir, app);
    const handle = await started(runner, app);
    expect(await handle.exited).toEqual({ kind: 'exit', code: 0 });
    await waitFor('its line', () => lines.some((line) => line.includes(' out ids ')));
    expect(lines.find((line) => line.includes(' out ids '))).toMatch(/ out ids 65534 65534 65534$/);
  });

  it('starts a run whose environment is too large for a standby\'s go line through the launcher', async () => {
    const dir = stateDir();
    const app = { ...def('big', ['/bin/sh', '-c', 'echo "length ${#BIG}"']), env: { BIG: 'x'.repeat(70_000) } };
    const { runner, lines } = await prepared(dir, app, { standbys: 1 });
    await waitFor('a standby in slot 0', () => standbys(dir).get(0));
    const handle = await started(runner, app);
    expect(await handle.exited).toEqual({ kind: 'exit', code: 0 });
    await waitFor('its line', () => lines.some((line) => line.endsWith(' out length 70000')));
  });

  it('stops a run gracefully with its stop signal, the whole group included', async () => {
    const dir = stateDir();
    const app = def('tree', ['/bin/sh', '-c', 'sleep 1000 & trap "exit 0" TERM; wait']);
    const { runner } = await prepared(dir, app);
    const handle = await started(runner, app);
    await waitFor('its child', () => liveGroupMembers(handle.pid).length >= 3);
    handle.stop('SIGTERM', 5000);
    expect(await handle.exited).toEqual({ kind: 'exit', code: 0 });
    expect(liveGroupMembers(handle.pid)).toEqual([]);
  });

  it('signals a stop asked for before the shim took the start as soon as it has', async () => {
    const dir = stateDir();
    const app = def('early', ['sleep', '1000']);
    const { runner } = await prepared(dir, app, { standbys: 0 });
    const handle = runner.start(app);
    handle.kill();
    expect(await handle.exited).toEqual({ kind: 'signal', signal: 'SIGKILL' });
  });

  it('fails a start it cannot set up, with the reason', async () => {
    const dir = stateDir();
    const app = { ...def('nowhere', ['true']), cwd: '/nonexistent/spew' };
    const { runner } = await prepared(dir, app);
    const handle = runner.start(app);
    expect(await handle.exited).toEqual({ kind: 'spawn-error', message: 'cannot change into the working directory /nonexistent/spew' });
  });

  it('leaves runs running on detach, and a second runner adopts them, learning how they end', async () => {
    const dir = stateDir();
    const app = def('kept', ['/bin/sh', '-c', 'read line < "$0"; exit 4', join(dir, 'gate')]);
    spawnSync('mkfifo', [join(dir, 'gate')]);
    const first = await prepared(dir, app);
    const handle = await started(first.runner, app);
    await first.runner.detach('handoff');
    expect(liveGroupMembers(handle.pid).length).toBeGreaterThan(0);

    const second = await prepared(dir, app);
    const adopted = await second.runner.adopt(app);
    expect(adopted.kind).toBe('running');
    if (adopted.kind !== 'running') return;
    expect(adopted.handle.pid).toBe(handle.pid);
    adopted.handle.kill();
    expect(await adopted.handle.exited).toEqual({ kind: 'signal', signal: 'SIGKILL' });
  });

  it('reports a run that ended while no runner watched, once', async () => {
    const dir = stateDir();
    const app = def('gone', ['/bin/sh', '-c', 'read line < "$0"; exit 5', join(dir, 'gate')]);
    spawnSync('mkfifo', [join(dir, 'gate')]);
    const { runner } = await prepared(dir, app);
    const handle = await started(runner, app);
    await runner.detach('handoff');
    spawnSync('/bin/sh', ['-c', 'echo go > "$0"', join(dir, 'gate')]);
    await waitFor('the run to end', () => liveGroupMembers(handle.pid).length === 0);

    const next = await prepared(dir, app);
    expect(await next.runner.adopt(app)).toEqual({ kind: 'exited', reason: { kind: 'exit', code: 5 } satisfies ExitReason });
    expect(await next.runner.adopt(app)).toEqual({ kind: 'absent' });
  });

  it('starts again through a new launcher when the launcher has died', async () => {
    const dir = stateDir();
    const app = def('relaunched', ['sleep', '1000']);
    const { runner } = await prepared(dir, app, { standbys: 0 });
    const first = await started(runner, app);
    first.kill();
    await first.exited;
    const [launcher] = launcherPids();
    expect(launcher).toBeDefined();
    process.kill(launcher as number, 'SIGKILL');
    await waitFor('the launcher to be gone', () => !launcherPids().includes(launcher as number));
    const second = await started(runner, app);
    expect(second.pid).not.toBe(first.pid);
  });

  it('passes over a standby that was killed while it waited', async () => {
    const dir = stateDir();
    const app = def('passed', ['sleep', '1000']);
    const { runner } = await prepared(dir, app, { standbys: 1 });
    const standby = await readyStandby(dir, 0);
    process.kill(standby, 'SIGKILL');
    await waitFor('it to be gone', () => liveGroupMembers(standby).length === 0);
    const handle = await started(runner, app);
    expect(handle.pid).not.toBe(standby);
  });

  it('retires its standbys when it detaches', async () => {
    const dir = stateDir();
    const app = def('any', ['true']);
    const first = await prepared(dir, app, { standbys: 2 });
    const both = await waitFor('two standbys', () => standbys(dir).size === 2 && [...standbys(dir).values()]);
    await first.runner.detach('handoff');
    await waitFor('them to leave', () => both.every((pid) => liveGroupMembers(pid).length === 0));
  });

  it('sends away a standby that an earlier agent\'s launcher started after that agent died', async () => {
    const dir = stateDir();
    const slot = join(dir, 'pool', 'earlier', '0');
    mkdirSync(slot, { recursive: true });
    spawnSync('mkfifo', [join(slot, 'go'), join(dir, 'pool', 'ready')]);
    // No agent holds `go`: it waits in open() for a writer.
    const leftover = spawn('/bin/sh', ['-c', SHIM_SCRIPT, 'spew-shim', 'wait:earlier', slot, join(dir, 'pool', 'ready')], { detached: true, stdio: 'ignore' });
    cleanups.push(() => {
      try {
        process.kill(-(leftover.pid as number), 'SIGKILL');
      } catch {
        // Sent away, as it should be.
      }
    });
    await waitFor('it to wait', () => standbys(dir).get(0) === leftover.pid);
    await prepared(dir, def('any', ['true']), { standbys: 1 });
    await waitFor('it to leave', () => liveGroupMembers(leftover.pid as number).length === 0);
    await waitFor('a standby of this runner in a slot', () => standbys(dir).size === 1 && standbys(dir).get(0) !== leftover.pid);
  });

  it('has its standbys leave when it goes without detaching (an agent killed)', async () => {
    const dir = stateDir();
    const script = `
      const { ShellRunner } = await import(${JSON.stringify(new URL('../../dist/runners/shell-runner.js', import.meta.url).pathname)});
      await new ShellRunner(${JSON.stringify(dir)}, () => undefined, { standbys: 2 }).prepare([]);
      setInterval(() => undefined, 1000);
    `;
    // The built runner (the test setup builds dist/), in a process of its own to kill.
    const agent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    cleanups.push(() => void agent.kill('SIGKILL'));
    const both = await waitFor('its standbys', () => standbys(dir).size === 2 && [...standbys(dir).values()], 30_000);
    agent.kill('SIGKILL');
    await waitFor('them to leave', () => both.every((pid) => liveGroupMembers(pid).length === 0));
  });

  it('kills a standby stopped (SIGSTOP) while it waited and starts through the launcher: the standby never takes it late', async () => {
    const dir = stateDir();
    const app = def('unstopped', ['sleep', '1000']);
    const { runner } = await prepared(dir, app, { standbys: 1 });
    const standby = await readyStandby(dir, 0);
    process.kill(standby, 'SIGSTOP');
    await waitFor('it to be stopped', () => /^\S+ \(.*\) T/.test(readFileSync(`/proc/${standby}/stat`, 'latin1')));
    const handle = await started(runner, app);
    expect(handle.pid).not.toBe(standby);
    await waitFor('the stopped standby to be gone', () => liveGroupMembers(standby).length === 0);
  });

  it('replaces a launcher found stopped (SIGSTOP) when a start is to go to it', async () => {
    const dir = stateDir();
    const app = def('relayed', ['sleep', '1000']);
    const { runner } = await prepared(dir, app, { standbys: 0 });
    const first = await started(runner, app);
    first.kill();
    await first.exited;
    // Every launcher, whichever the next start is dealt to.
    const stopped = launcherPids();
    for (const pid of stopped) process.kill(pid, 'SIGSTOP');
    // Starts are dealt round the launchers: within as many as there are cores, one is dealt to it.
    for (let n = 0; n < 8 && stopped.every((pid) => launcherPids().includes(pid)); n++) {
      const next = await started(runner, app);
      next.kill();
      await next.exited;
    }
    expect(stopped.some((pid) => !launcherPids().includes(pid))).toBe(true);
  });

  it('hears of a run that ended under a shim stopped (SIGSTOP): the shim is continued', async () => {
    const dir = stateDir();
    const app = def('paused', ['/bin/sh', '-c', 'read line < "$0"; exit 6', join(dir, 'gate')]);
    spawnSync('mkfifo', [join(dir, 'gate')]);
    const { runner } = await prepared(dir, app, { standbys: 0, stoppedShimSweepMs: 200 });
    const handle = await started(runner, app);
    process.kill(handle.pid, 'SIGSTOP');
    // Not spawnSync: the shim may be stopped before it has started the program, and only the
    // runner's sweep (in this process) continues it so that the program opens the gate.
    const opener = spawn('/bin/sh', ['-c', 'echo go > "$0"', join(dir, 'gate')], { stdio: 'ignore' });
    const opened = new Promise((resolve) => opener.once('exit', resolve));
    expect(await handle.exited).toEqual({ kind: 'exit', code: 6 });
    await opened;
  });
});
