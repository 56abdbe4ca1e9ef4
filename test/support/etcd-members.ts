/**
 * Real etcd members (Debian's etcd-server) on loopback in a temp dir, for the cluster tests.
 * Each start uses a fresh cluster token and waits for the old process to be gone, as a member
 * restarted on the same ports before its old process exits refuses to start ("already
 * bootstrapped"). Every member is ended by PID in `stop`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { isAlive } from './proc.js';
import { waitFor } from './wait-for.js';

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  process: ChildProcess | undefined;
  logFile: string;
}

export class EtcdMembers {
  readonly dir = mkdtempSync(join(tmpdir(), 'spew-etcd-'));
  private readonly members: Member[] = [];
  /** One per cluster started: every member of it must be given the same. */
  private readonly token = `spew-test-${process.pid}-${Date.now()}`;

  private constructor() {}

  /** Starts `count` members as one cluster and waits until every one is healthy. */
  static async start(count = 1): Promise<EtcdMembers> {
    const etcd = new EtcdMembers();
    for (let i = 0; i < count; i++) {
      etcd.members.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort(), process: undefined, logFile: join(etcd.dir, `m${i}.log`) });
    }
    try {
      await Promise.all(etcd.members.map((m) => etcd.launch(m, 'new')));
      await etcd.healthy();
    } catch (err) {
      await etcd.stop();
      throw err;
    }
    return etcd;
  }

  /** The client URLs, for `[cluster] etcd`. */
  get endpoints(): string[] {
    return this.members.map((m) => `http://127.0.0.1:${m.clientPort}`);
  }

  /** `etcd = [...]` as TOML. */
  get tomlEndpoints(): string {
    return `[${this.endpoints.map((e) => JSON.stringify(e)).join(', ')}]`;
  }

  pid(index: number): number {
    const pid = this.members[index]?.process?.pid;
    if (pid === undefined) throw new Error(`etcd member ${index} is not running`);
    return pid;
  }

  /** kill -9 of one member, waiting until it is gone. */
  async kill(index: number): Promise<void> {
    const member = this.members[index]!;
    await this.end(member, 'SIGKILL');
  }

  /** Starts a killed member again on its own data dir (it rejoins the cluster it was in). */
  async restart(index: number): Promise<void> {
    const member = this.members[index]!;
    await this.launch(member, 'existing');
    await this.healthy([member]);
  }

  signal(index: number, signal: NodeJS.Signals): void {
    process.kill(this.pid(index), signal);
  }

  /** Every member down (SIGKILL), data kept, so that `restartAll` brings the same cluster back. */
  async killAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.end(m, 'SIGKILL')));
  }

  async restartAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.launch(m, 'existing')));
    await this.healthy();
  }

  /** etcdctl against these members, answering its stdout. */
  async ctl(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('etcdctl', [`--endpoints=${this.endpoints.join(',')}`, '--dial-timeout=500ms', '--command-timeout=2s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } }, (err, stdout, stderr) => {
        if (err) reject(new Error(`etcdctl ${args.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      });
    });
  }

  /** Every key under `prefix` with its value, parsed as JSON where it is. */
  async keys(prefix: string): Promise<Map<string, unknown>> {
    const out = await this.ctl('get', prefix, '--prefix', '-w', 'json');
    const parsed = JSON.parse(out) as { kvs?: { key: string; value: string }[] };
    const found = new Map<string, unknown>();
    for (const kv of parsed.kvs ?? []) {
      const value = Buffer.from(kv.value, 'base64').toString();
      let json: unknown = value;
      try {
        json = JSON.parse(value);
      } catch {
        // not JSON: kept as text
      }
      found.set(Buffer.from(kv.key, 'base64').toString(), json);
    }
    return found;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.end(m, 'SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private peerUrl(m: Member): string {
    return `http://127.0.0.1:${m.peerPort}`;
  }

  private async launch(m: Member, state: 'new' | 'existing'): Promise<void> {
    const out = openSync(m.logFile, 'a');
    const child = spawn('etcd', [
      `--name=${m.name}`,
      `--data-dir=${join(this.dir, m.name)}`,
      `--listen-client-urls=http://127.0.0.1:${m.clientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${m.clientPort}`,
      `--listen-peer-urls=${this.peerUrl(m)}`,
      `--initial-advertise-peer-urls=${this.peerUrl(m)}`,
      `--initial-cluster=${this.members.map((x) => `${x.name}=${this.peerUrl(x)}`).join(',')}`,
      `--initial-cluster-state=${state}`,
      `--initial-cluster-token=${this.token}`,
      '--logger=zap',
      '--log-outputs=stderr',
      // Tests of one member need no failover timing; with three, etcd's defaults are kept.
      ...(this.members.length === 1 ? ['--heartbeat-interval=10', '--election-timeout=100'] : []),
    ], { stdio: ['ignore', out, out] });
    m.process = child;
    child.once('exit', () => {
      if (m.process === child) m.process = undefined;
    });
  }

  private async healthy(members = this.members): Promise<void> {
    await waitFor('etcd members to be healthy', async () => {
      for (const m of members) {
        if (m.process === undefined) throw new Error(`etcd member ${m.name} exited:\n${readFileSync(m.logFile, 'utf8').slice(-2000)}`);
      }
      const urls = members.map((m) => `http://127.0.0.1:${m.clientPort}`).join(',');
      return new Promise<boolean>((resolve) => {
        execFile('etcdctl', [`--endpoints=${urls}`, '--dial-timeout=200ms', '--command-timeout=500ms', 'endpoint', 'health'], { env: { ...process.env, ETCDCTL_API: '3' } }, (err) => resolve(err === null));
      });
    }, 20_000);
  }

  private async end(m: Member, signal: NodeJS.Signals): Promise<void> {
    const child = m.process;
    if (child?.pid === undefined) return;
    const pid = child.pid;
    const gone = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, signal);
    } catch {
      // already gone
    }
    await gone;
    await waitFor(`etcd ${m.name} (pid ${pid}) to be gone`, () => !isAlive(pid), 5_000);
  }
}
