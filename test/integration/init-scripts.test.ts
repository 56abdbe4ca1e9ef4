/**
 * The service scripts for real, as `spew service install` writes them for the binary: the LSB
 * init script started, queried, reloaded and stopped (root: its PID file lives in /run), and the
 * systemd unit through `systemd-analyze verify` (which needs no running systemd).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentHarness, SLOW, type CliResult } from '../support/agent-harness.js';
import { builtBinary } from '../support/binary.js';
import { isAlive, liveGroupMembers } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

const IS_ROOT = process.getuid?.() === 0;
const NAME = `spew-it-${process.pid}`;
const PIDFILE = `/run/${NAME}.pid`;
const HOST_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', NO_COLOR: '1' };

let binary: string;
beforeAll(async () => {
  binary = await builtBinary();
}, 600_000);

function run(file: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env: HOST_ENV, timeout: 2 * SLOW }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function pidFromFile(): number | undefined {
  try {
    return Number(readFileSync(PIDFILE, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

describe.skipIf(!IS_ROOT)('the LSB init script (needs root: its PID file is in /run)', () => {
  let h: AgentHarness;
  let script: string;
  const initd = (action: string): Promise<CliResult> => run('/bin/sh', [script, action]);

  beforeEach(async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[sleeper]\ncommand = "exec sleep 600"\nrestart = "always"\n' } });
    script = h.path('init.d', NAME);
    const installed = await run(binary, ['service', 'install', '--init', 'sysv', '--name', NAME, '--output', script, '--config', h.configFile]);
    expect(installed.code, installed.stderr).toBe(0);
  });

  afterEach(async () => {
    // Whatever a failed test left: the agent by its PID file, then every appliance group.
    const pid = pidFromFile();
    if (pid !== undefined && isAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      await waitFor('the agent to exit', () => !isAlive(pid), SLOW).catch(() => process.kill(pid, 'SIGKILL'));
    }
    rmSync(PIDFILE, { force: true });
    rmSync(`/run/${NAME}.stderr`, { force: true });
    await h.cleanup();
  });

  it('starts the agent, reports it running, stops it with its appliances, reports it stopped', async () => {
    const started = await initd('start');
    expect(started).toMatchObject({ code: 0, stdout: `Starting ${NAME}\n` });
    const pid = pidFromFile() as number;
    expect(isAlive(pid)).toBe(true);
    expect(await initd('status')).toMatchObject({ code: 0, stdout: `${NAME} is running (pid ${pid})\n` });
    const sleeper = await h.running('sleeper');
    expect((await h.client.agent()).pid).toBe(pid);

    expect((await initd('stop')).code).toBe(0);
    expect(isAlive(pid)).toBe(false);
    expect(liveGroupMembers(sleeper.pid as number)).toEqual([]);
    expect(existsSync(PIDFILE)).toBe(false);
    expect(await initd('status')).toMatchObject({ code: 3, stdout: `${NAME} is not running\n` });
  });

  it('answers start on a running agent and stop on a stopped one with success', async () => {
    await initd('start');
    const pid = pidFromFile();
    expect(await initd('start')).toMatchObject({ code: 0, stdout: `${NAME} is already running (pid ${pid})\n` });
    expect(pidFromFile()).toBe(pid);
    await initd('stop');
    expect(await initd('stop')).toMatchObject({ code: 0, stdout: `${NAME} is not running\n` });
  });

  it('restarts onto a new agent', async () => {
    await initd('start');
    const before = pidFromFile() as number;
    expect((await initd('restart')).code).toBe(0);
    const after = pidFromFile() as number;
    expect(after).not.toBe(before);
    expect(isAlive(before)).toBe(false);
    await h.running('sleeper');
  });

  it('restarts the agent alone with restart-agent: the old one hands off, the new one re-adopts every appliance', async () => {
    await initd('start');
    const before = pidFromFile() as number;
    const sleeper = await h.running('sleeper');
    expect((await initd('restart-agent')).code).toBe(0);
    const after = pidFromFile() as number;
    expect(after).not.toBe(before);
    expect(isAlive(before)).toBe(false);
    expect(await h.running('sleeper')).toMatchObject({ pid: sleeper.pid, reason: `re-adopted, pid ${sleeper.pid}` });
  });

  it('stops a running agent whose program has been removed (a package removed, not purged)', async () => {
    await initd('start');
    const pid = pidFromFile() as number;
    const sleeper = await h.running('sleeper');
    // The script as it would be left behind: its program path names nothing any more.
    const orphan = h.path('init.d', 'orphan');
    writeFileSync(orphan, readFileSync(script, 'utf8').replace(/^DAEMON=.*$/m, `DAEMON=${h.path('no-such-program')}`));
    expect(await run('/bin/sh', [orphan, 'status'])).toMatchObject({ code: 0 });
    expect((await run('/bin/sh', [orphan, 'stop'])).code).toBe(0);
    expect(isAlive(pid)).toBe(false);
    expect(liveGroupMembers(sleeper.pid as number)).toEqual([]);
    expect(await run('/bin/sh', [orphan, 'start'])).toMatchObject({ code: 5 });
  });

  it('reloads the instance config on reload, and refuses a broken one while the agent runs on', async () => {
    await initd('start');
    const pid = pidFromFile();
    writeFileSync(h.configFile, readFileSync(h.configFile, 'utf8').replace('log_level = "debug"', 'log_level = "info"'));
    expect(await initd('reload')).toMatchObject({ code: 0, stdout: `Reloading ${NAME}'s instance config\n` });
    await waitFor('the reload in the agent log', () => h.agentLog().includes('reload: log_level is now info'), SLOW);

    writeFileSync(h.configFile, `${readFileSync(h.configFile, 'utf8')}\nlog_levle = "debug"\n`);
    expect((await initd('force-reload')).code).toBe(0);
    await waitFor('the refusal in the agent log', () => h.agentLog().includes(`reload refused: ${h.configFile}:`), SLOW);
    expect(h.agentLog()).toMatch(/reload refused: .*log_levle: unknown key; did you mean log_level\?/);
    expect(pidFromFile()).toBe(pid);
    await h.running('sleeper');
  });

  it('says why a start failed, and leaves no PID file behind', async () => {
    writeFileSync(h.configFile, `${readFileSync(h.configFile, 'utf8')}\nhistory_limit = 0\n`);
    const started = await initd('start');
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(`${NAME}: the agent exited during start-up:`);
    // oclif wraps the agent's error at 80 columns.
    expect(started.stderr).toContain(`${h.configFile}:8:1: history_limit: expected a whole`);
    expect(existsSync(PIDFILE)).toBe(false);
    expect((await initd('status')).code).toBe(3);
  });

  it('gives LSB exit codes for a stopped service and an unknown action', async () => {
    expect(await initd('reload')).toMatchObject({ code: 7, stderr: `${NAME} is not running\n` });
    expect(await initd('bogus')).toMatchObject({ code: 2, stderr: `Usage: ${script} {start|stop|restart|restart-agent|reload|force-reload|status}\n` });
  });
});

describe('the systemd unit', () => {
  it('passes systemd-analyze verify, written for the built binary', async (context) => {
    const analyze = await run('/bin/sh', ['-c', 'command -v systemd-analyze']);
    if (analyze.code !== 0) context.skip('systemd-analyze is not installed (Debian package systemd)');
    const h = new AgentHarness();
    try {
      const unit = h.path(`${NAME}.service`);
      expect((await run(binary, ['service', 'install', '--init', 'systemd', '--output', unit, '--config', h.configFile])).code).toBe(0);
      expect(await run(analyze.stdout.trim(), ['verify', unit])).toMatchObject({ code: 0, stderr: '' });
    } finally {
      await h.cleanup();
    }
  });
});
