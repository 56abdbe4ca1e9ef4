/**
 * The single binary (`npm run build:binary`), run the way a host without Node runs it: no node
 * on PATH, no node_modules near, a bare environment.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HostsAnswer } from '../../src/api/wire.js';
import { COMMANDS } from '../../src/commands/index.js';
import { AgentHarness, REPO, type CliResult, type SpewProgram } from '../support/agent-harness.js';
import { builtBinary } from '../support/binary.js';
import { EtcdMembers } from '../support/etcd-members.js';
import { waitFor } from '../support/wait-for.js';

/**
 * What the agent and its appliances need from PATH: mkfifo for the output FIFOs, setsid (from
 * util-linux) for a session per shim, and the test's programs.
 */
const TOOLS = ['sh', 'mkfifo', 'setsid', 'sleep', 'cat', 'echo'];

let binary: string;
let host: string;
let program: SpewProgram;

beforeAll(async () => {
  binary = await builtBinary();
  host = mkdtempSync(join(tmpdir(), 'spew-nonode-'));
  mkdirSync(join(host, 'bin'));
  for (const tool of TOOLS) symlinkSync(existsSync(`/bin/${tool}`) ? `/bin/${tool}` : `/usr/bin/${tool}`, join(host, 'bin', tool));
  mkdirSync(join(host, 'work'));
  program = { argv: [binary], env: { PATH: join(host, 'bin'), HOME: host, NO_COLOR: '1' }, cwd: join(host, 'work') };
}, 600_000);

afterAll(() => rmSync(host, { recursive: true, force: true }));

function spew(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(binary, args, { env: program.env, cwd: program.cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('the spew binary', () => {
  it('runs where there is no node on PATH and no node_modules', async () => {
    const which = await new Promise<number>((resolve) => {
      execFile('/bin/sh', ['-c', 'command -v node'], { env: program.env }, (err) => resolve(err ? 1 : 0));
    });
    expect(which).toBe(1);
    expect((await spew('--version')).code).toBe(0);
  });

  it('prints the version and the commit it was built from', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const commit = await new Promise<string>((resolve, reject) => {
      execFile('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
    });
    expect((await spew('--version')).stdout).toBe(`spew/${version} (${commit})\n`);
  });

  it('lists every command in --help', async () => {
    const { code, stdout } = await spew('--help');
    expect(code).toBe(0);
    for (const id of Object.keys(COMMANDS)) expect(stdout).toMatch(new RegExp(`^  ${id.replace(':', ' ')} `, 'm'));
  });

  it('checks appliance files', async () => {
    const good = join(host, 'good.toml');
    const bad = join(host, 'bad.toml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(good, '[web]\ncommand = "sleep 1"\n');
    writeFileSync(bad, '[web]\ncomand = "sleep 1"\n');
    expect(await spew('validate', good)).toMatchObject({ code: 0, stdout: `${good}: ok (1 appliance)\n` });
    expect(await spew('validate', bad)).toMatchObject({ code: 1, stderr: expect.stringContaining(`${bad}:2:1: web.comand: unknown key; did you mean command?`) });
  });

  it('answers plain status when no agent runs, naming the socket', async () => {
    const socket = join(host, 'nobody.sock');
    const { code, stderr } = await spew('status', '--socket', socket);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot reach the spew agent at ${socket}`);
  });

  it.each(['systemd', 'upstart', 'sysv'])('writes the %s script from init/ as `service install`', async (system) => {
    const templates: Record<string, string> = { systemd: 'init/systemd/spew.service', upstart: 'init/upstart/spew.conf', sysv: 'init/sysv/spew' };
    const output = join(host, `script-${system}`);
    // Packaged settings but this binary: only the program's path differs from init/.
    const written = await spew('service', 'install', '--init', system, '--output', output, '--config', join(host, 'etc', 'spew.toml'));
    expect(written.code).toBe(0);
    const expected = readFileSync(join(REPO, templates[system] as string), 'utf8')
      .replaceAll('/usr/bin/spew', binary)
      .replaceAll('/etc/spew/spew.toml', join(host, 'etc', 'spew.toml'));
    expect(readFileSync(output, 'utf8')).toBe(expected);
  });

  it('refuses an unknown init system as a usage error naming the flag', async () => {
    const { code, stderr } = await spew('service', 'install', '--init', 'bogus');
    expect(code).toBe(2);
    expect(stderr).toContain('Expected --init=bogus to be one of: systemd, upstart, sysv');
  });

  it('says which path it cannot write, and exits 1', async () => {
    const { code, stderr } = await spew('service', 'install', '--init', 'sysv', '--output', '/proc/spew-test/spew', '--config', join(host, 'etc', 'spew.toml'));
    expect(code).toBe(1);
    expect(stderr).toBe('spew: cannot write /proc/spew-test/spew: no such directory (ENOENT)\n');
  });
});

describe('the spew binary as the agent', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('runs, supervises and stops shell appliances', async () => {
    h = new AgentHarness({
      program,
      appliances: { 'a.toml': '[ticker]\ncommand = "echo tick; exec sleep 600"\n\n[once]\ncommand = "exit 3"\nrestart = "never"\n' },
    });
    await h.start();
    const ticker = await h.running('ticker');
    await h.until('once', 'to crash', (s) => s.state === 'crashed' && s.last_exit === 'exit 3');
    const status = await h.cli('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^ticker .* running .* ${ticker.pid} `, 'm'));
    await h.until('ticker', 'to have logged', () => h.applianceLog('ticker').includes(' out tick'));
    expect((await h.cli('logs', 'ticker')).stdout).toMatch(/ out tick\n$/);
    expect(await h.stop()).toBe(0);
  });

  // etcd3 loads its .proto files from disk when it loads; the build embeds them (build-binary.mjs).
  it('joins a real etcd: the etcd client works inside the binary', async () => {
    const etcd = await EtcdMembers.start(1);
    try {
      h = new AgentHarness({
        program,
        appliances: { 'a.toml': '[ticker]\ncommand = "exec sleep 600"\n' },
        extraConfig: `[cluster]\netcd = ${etcd.tomlEndpoints}\nname = "bin-host"\nlease_ttl = "3s"\n`,
      });
      await h.start();
      await h.running('ticker');
      const joined = await waitFor('the binary\'s agent to join', async () => {
        const out = await h.cli('hosts', '--json');
        const answer = JSON.parse(out.stdout) as HostsAnswer;
        return answer.link.membership === 'joined' && answer.hosts[0]?.appliances.running === 1 ? answer : undefined;
      }, 20_000);
      expect(joined.hosts.map((x) => [x.name, x.state])).toEqual([['bin-host', 'up']]);
      expect([...(await etcd.keys('/spew/default/alive/')).keys()]).toEqual(['/spew/default/alive/bin-host']);
      expect(h.agentLog()).not.toMatch(/ENOENT|rpc\.proto/);
      expect(await h.stop()).toBe(0);
      // A stop leaves at once: the lease is revoked, not left to expire.
      expect((await etcd.keys('/spew/default/alive/')).size).toBe(0);
    } finally {
      await etcd.stop();
    }
  }, 60_000);
});
