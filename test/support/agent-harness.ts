/**
 * Starts the real agent (`bin/run.js agent`, built code) on a temp socket and state dir, and
 * drives it through the real CLI. Every agent, CLI child and appliance process it makes is ended
 * by PID (or process group) in `cleanup`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ApplianceStatus } from '../../src/model/appliance-status.js';
import { ApiClient } from '../../src/client/api-client.js';
import { processStartTime } from './proc.js';
import { waitFor } from './wait-for.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin', 'run.js');
export const PROGRAMS = join(REPO, 'test', 'fixtures', 'programs');

/** Long enough for a loaded 2-core machine; tests still wait on conditions, never on this. */
export const SLOW = 30_000;

const CLI_ENV = { ...process.env, NO_COLOR: '1' };

/** A TOML array of strings, e.g. a command as argv. JSON string syntax is valid TOML for these. */
export function tomlArray(...words: string[]): string {
  return `[${words.map((w) => JSON.stringify(w)).join(', ')}]`;
}

/** The argv that runs a fixture program from test/fixtures/programs with /bin/sh. */
export function program(name: string, ...args: string[]): string[] {
  return ['/bin/sh', join(PROGRAMS, name), ...args];
}

/** How the CLI and the agent are run: `node bin/run.js` with the test's environment, unless a test says otherwise. */
export interface SpewProgram {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Where it runs; the test's own working directory when not given. */
  cwd?: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** A CLI command left running (`logs -f`, `events -f`, `attach`), read while it runs. */
export class CliChild {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  write(text: string): void {
    this.child.stdin?.write(text);
  }

  /** Waits until the output so far passes the test (stderr is shown if it never does). */
  async waitForOutput(what: string, test: (stdout: string) => boolean, deadlineMs = SLOW): Promise<string> {
    try {
      return await waitFor(what, () => test(this.stdout) && this.stdout, deadlineMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nstdout so far:\n${this.stdout}\nstderr:\n${this.stderr}`, { cause: err });
    }
  }

  /** SIGTERM, as a user's Ctrl-C would end it; answers once it has exited. */
  async end(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    await this.exited;
  }
}

export class AgentHarness {
  readonly dir: string;
  readonly socket: string;
  readonly stateDir: string;
  readonly logDir: string;
  readonly configFile: string;
  readonly client: ApiClient;
  private agent: ChildProcess | undefined;
  private agentExit: Promise<AgentExit> | undefined;
  private readonly spawned = new Set<ChildProcess>();
  private readonly seenPgids = new Set<number>();

  /** For the agent only, on top of the test's own (DOCKER_HOST of a private engine). */
  private readonly agentEnv: NodeJS.ProcessEnv;
  private readonly program: SpewProgram;

  /**
   * `dataDir`: where the state and log dirs go, given the test's temp dir (a disk of the test's
   * own, mounted there); the temp dir itself by default.
   */
  constructor(options: { appliances?: Record<string, string>; extraConfig?: string; stopTimeout?: string; env?: NodeJS.ProcessEnv; program?: SpewProgram; dataDir?: (dir: string) => string } = {}) {
    this.program = options.program ?? { argv: [process.execPath, BIN], env: CLI_ENV };
    this.agentEnv = { ...this.program.env, ...options.env };
    this.dir = mkdtempSync(join(tmpdir(), 'spew-it-'));
    this.socket = join(this.dir, 'spew.sock');
    const data = options.dataDir?.(this.dir) ?? this.dir;
    this.stateDir = join(data, 'state');
    this.logDir = join(data, 'logs');
    this.configFile = join(this.dir, 'spew.toml');
    mkdirSync(join(this.dir, 'appliances.d'));
    for (const [file, text] of Object.entries(options.appliances ?? {})) this.writeApplianceFile(file, text);
    writeFileSync(
      this.configFile,
      [
        `socket = "${this.socket}"`,
        `state_dir = "${this.stateDir}"`,
        `log_dir = "${this.logDir}"`,
        'log_level = "debug"',
        `stop_timeout = "${options.stopTimeout ?? '5s'}"`,
        'include = ["appliances.d/*.toml"]',
        options.extraConfig ?? '',
      ].join('\n'),
    );
    this.client = new ApiClient(this.socket);
  }

  /** A path inside the test's temp dir, for files the appliances and the test share. */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Writes (or rewrites) a file in the `include`d appliances.d; answers its path. */
  writeApplianceFile(file: string, text: string): string {
    const path = join(this.dir, 'appliances.d', file);
    writeFileSync(path, text);
    return path;
  }

  /** Starts an agent and waits until its API answers. */
  async start(): Promise<void> {
    const agent = this.spawnAgent();
    this.agent = agent.child;
    this.agentExit = agent.exit;
    try {
      await waitFor('the agent to answer', async () => {
        if (agent.child.exitCode !== null) throw new Error(`agent exited ${agent.child.exitCode}: ${agent.stderr()}`);
        await this.client.agent();
        return true;
      }, SLOW);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nagent log:\n${this.agentLog()}`, { cause: err });
    }
  }

  /** Starts another agent on the same config and waits for it to exit; it should refuse. */
  async startAnother(deadlineMs = SLOW): Promise<AgentExit> {
    const agent = this.spawnAgent();
    return withDeadline(agent.exit, deadlineMs, 'the second agent to exit', () => agent.child.kill('SIGKILL'));
  }

  private spawnAgent(): { child: ChildProcess; exit: Promise<AgentExit>; stderr: () => string } {
    const [file, ...args] = this.program.argv as [string, ...string[]];
    const child = spawn(file, [...args, 'agent', '--config', this.configFile, '--log-target', 'file'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: this.agentEnv,
      cwd: this.program.cwd,
    });
    this.spawned.add(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<AgentExit>((resolve) =>
      child.once('exit', (code, signal) => {
        this.spawned.delete(child);
        resolve({ code, signal, stderr });
      }),
    );
    return { child, exit, stderr: () => stderr };
  }

  get agentPid(): number {
    return this.agent?.pid ?? 0;
  }

  /** SIGKILL to the agent alone; its appliances (other process groups) keep running. */
  async kill9(): Promise<void> {
    await this.endAgent('SIGKILL');
  }

  /** SIGTERM: the agent stops its appliances and exits; answers its exit code. */
  async stop(): Promise<number | null> {
    return (await this.endAgent('SIGTERM')).code;
  }

  /** Sends the agent a signal and waits (with a deadline) until it has exited. */
  async endAgent(signal: NodeJS.Signals, deadlineMs = SLOW): Promise<AgentExit> {
    const agent = this.agent;
    if (!agent) throw new Error('no agent is running');
    await this.rememberGroups();
    agent.kill(signal);
    return this.waitAgentExit(deadlineMs);
  }

  /** Waits until the agent exits by itself (a handoff asked through the API or the CLI). */
  async waitAgentExit(deadlineMs = SLOW): Promise<AgentExit> {
    const agent = this.agent;
    const exit = this.agentExit;
    if (!agent || !exit) throw new Error('no agent is running');
    try {
      return await withDeadline(exit, deadlineMs, 'the agent to exit', () => agent.kill('SIGKILL'));
    } finally {
      this.agent = undefined;
      this.agentExit = undefined;
    }
  }

  /** Runs the CLI against this agent's socket. */
  cli(...args: string[]): Promise<CliResult> {
    return this.cliWithout(withSocket(args, this.socket));
  }

  /** Runs the CLI with exactly these arguments (no `--socket` added), optionally with stdin. */
  cliWithout(args: string[], input?: string): Promise<CliResult> {
    return new Promise((resolve) => {
      const [file, ...first] = this.program.argv as [string, ...string[]];
      const child = execFile(file, [...first, ...args], { env: this.program.env, cwd: this.program.cwd, timeout: SLOW }, (err, stdout, stderr) => {
        this.spawned.delete(child);
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      this.spawned.add(child);
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  /** Starts a CLI command that keeps running (`logs -f`, `events -f`, `attach`). */
  spawnCli(...args: string[]): CliChild {
    const [file, ...first] = this.program.argv as [string, ...string[]];
    const child = spawn(file, [...first, ...withSocket(args, this.socket)], { stdio: 'pipe', env: this.program.env, cwd: this.program.cwd });
    this.spawned.add(child);
    child.once('exit', () => this.spawned.delete(child));
    return new CliChild(child);
  }

  async status(name: string): Promise<ApplianceStatus> {
    const [found] = await this.client.status([name]);
    if (!found) throw new Error(`no status for ${name}`);
    if (found.pid) this.seenPgids.add(found.pid);
    return found;
  }

  /** Waits until the appliance's status satisfies the test. */
  async until(name: string, what: string, test: (s: ApplianceStatus) => boolean, deadlineMs = SLOW): Promise<ApplianceStatus> {
    let last: ApplianceStatus | undefined;
    try {
      return await waitFor(`${name} ${what}`, async () => {
        last = await this.status(name);
        return test(last) ? last : undefined;
      }, deadlineMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last)}`, { cause: err });
    }
  }

  /** Waits until the appliance is running with a process, and answers its status. */
  running(name: string, deadlineMs = SLOW): Promise<ApplianceStatus> {
    return this.until(name, 'to be running', (s) => s.state === 'running' && s.pid !== null, deadlineMs);
  }

  applianceLog(name: string): string {
    try {
      return readFileSync(join(this.logDir, 'appliances', `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  agentLog(): string {
    try {
      return readFileSync(join(this.logDir, 'agent.log'), 'utf8');
    } catch {
      return '';
    }
  }

  private async rememberGroups(): Promise<void> {
    try {
      for (const s of await this.client.status()) if (s.pid) this.seenPgids.add(s.pid);
    } catch {
      // The agent may not answer any more; groups seen earlier are still remembered.
    }
  }

  /** Shims record their PID (the group id) in the run dir: a group no agent reported is found there. */
  private recordedGroups(): number[] {
    const runDir = join(this.stateDir, 'run');
    let refs: string[];
    try {
      refs = readdirSync(runDir);
    } catch {
      return [];
    }
    return refs.flatMap((ref) => {
      try {
        const [pid, startTime] = readFileSync(join(runDir, ref, 'pid'), 'utf8').trim().split(' ');
        // A record outlives its shim; PIDs are reused, (PID, start time) pairs are not.
        return pid && startTime === processStartTime(Number(pid)) ? [Number(pid)] : [];
      } catch {
        return [];
      }
    });
  }

  /** The log keeper an agent of this state dir left running (a kill -9 leaves it, on purpose). */
  keeper(): number[] {
    try {
      const [pid, startTime] = readFileSync(join(this.stateDir, 'keeper', 'pid'), 'utf8').trim().split(' ');
      return pid && startTime === processStartTime(Number(pid)) ? [Number(pid)] : [];
    } catch {
      return [];
    }
  }

  /** Ends the agent (gracefully) and anything it or the test left, then removes the temp dir. */
  async cleanup(): Promise<void> {
    if (this.agent) {
      try {
        await this.endAgent('SIGTERM');
      } catch {
        // It did not exit in time and was SIGKILLed; its appliances are killed below.
      }
    }
    for (const child of this.spawned) child.kill('SIGKILL');
    for (const pgid of [...this.seenPgids, ...this.recordedGroups(), ...this.keeper()]) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `--socket` right after the command name: after a `--` it would be part of the appliance's command. */
function withSocket([command, ...rest]: string[], socket: string): string[] {
  return command === undefined ? ['--socket', socket] : [command, '--socket', socket, ...rest];
}

async function withDeadline<T>(promise: Promise<T>, deadlineMs: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`timed out waiting for ${what}`));
    }, deadlineMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
