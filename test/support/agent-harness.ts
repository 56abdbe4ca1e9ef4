/**
 * Starts the real agent (`bin/run.js agent`, built code) on a temp socket and state dir, and
 * drives it through the real CLI. Every agent and appliance process it makes is ended by PID
 * (or process group) in `cleanup`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ApplianceStatus } from '../../src/api/wire.js';
import { ApiClient } from '../../src/client/api-client.js';
import { waitFor } from './wait-for.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin', 'run.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class AgentHarness {
  readonly dir: string;
  readonly socket: string;
  readonly stateDir: string;
  readonly logDir: string;
  readonly configFile: string;
  readonly client: ApiClient;
  private agent: ChildProcess | undefined;
  private readonly seenPgids = new Set<number>();

  constructor(options: { appliances?: Record<string, string>; extraConfig?: string } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'spew-it-'));
    this.socket = join(this.dir, 'spew.sock');
    this.stateDir = join(this.dir, 'state');
    this.logDir = join(this.dir, 'logs');
    this.configFile = join(this.dir, 'spew.toml');
    mkdirSync(join(this.dir, 'appliances.d'));
    for (const [file, text] of Object.entries(options.appliances ?? {})) {
      writeFileSync(join(this.dir, 'appliances.d', file), text);
    }
    writeFileSync(
      this.configFile,
      [
        `socket = "${this.socket}"`,
        `state_dir = "${this.stateDir}"`,
        `log_dir = "${this.logDir}"`,
        'log_level = "debug"',
        'stop_timeout = "5s"',
        'include = ["appliances.d/*.toml"]',
        options.extraConfig ?? '',
      ].join('\n'),
    );
    this.client = new ApiClient(this.socket);
  }

  /** Starts an agent and waits until its API answers. */
  async start(): Promise<void> {
    const agent = spawn(process.execPath, [BIN, 'agent', '--config', this.configFile, '--log-target', 'file'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    agent.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.agent = agent;
    await waitFor('the agent to answer', async () => {
      if (agent.exitCode !== null) throw new Error(`agent exited ${agent.exitCode}: ${stderr}`);
      await this.client.agent();
      return true;
    });
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
    return this.endAgent('SIGTERM');
  }

  async endAgent(signal: NodeJS.Signals): Promise<number | null> {
    const agent = this.agent;
    if (!agent || agent.exitCode !== null || agent.signalCode !== null) return agent?.exitCode ?? null;
    await this.rememberGroups();
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    agent.kill(signal);
    const code = await exited;
    this.agent = undefined;
    return code;
  }

  cli(...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args, '--socket', this.socket], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async status(name: string): Promise<ApplianceStatus> {
    const [found] = await this.client.status([name]);
    if (!found) throw new Error(`no status for ${name}`);
    return found;
  }

  /** Waits until the appliance's status satisfies the test. */
  async until(name: string, what: string, test: (s: ApplianceStatus) => boolean, deadlineMs?: number): Promise<ApplianceStatus> {
    return waitFor(`${name} ${what}`, async () => {
      const s = await this.status(name);
      return test(s) ? s : undefined;
    }, deadlineMs);
  }

  applianceLog(name: string): string {
    try {
      return readFileSync(join(this.logDir, 'appliances', `${name}.log`), 'utf8');
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

  /** Ends the agent (gracefully) and anything it left, then removes the temp dir. */
  async cleanup(): Promise<void> {
    await this.stop();
    for (const pgid of this.seenPgids) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
