/**
 * The .deb and the .rpm, built from the binary and installed for real: the .deb with dpkg on
 * this machine (started, used, upgraded, removed and purged), the .rpm into a temporary root.
 * Root only. These tests own the package name `spew` on the machines they run on: a spew
 * package already installed (a run that was killed) is purged first.
 *
 * In a container, policy-rc.d forbids maintainer scripts to start or stop services, as Debian
 * intends there; the tests then drive the init script themselves, as an operator would.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, SLOW, type CliResult } from '../support/agent-harness.js';
import { builtBinary } from '../support/binary.js';
import { isAlive, processesMatching } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

const IS_ROOT = process.getuid?.() === 0;
const TOOLS = ['dpkg-deb', 'dpkg', 'rpmbuild', 'rpm', 'lintian', 'setpriv'];
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', NO_COLOR: '1', LANG: 'C.UTF-8' };
const PIDFILE = '/run/spew.pid';
const { version: VERSION } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
/** The version of the "newer" package the upgrade goes to. */
const NEXT = VERSION.replace(/\d+$/, (patch) => String(Number(patch) + 1));

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...ENV, ...env }, timeout: 10 * SLOW, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function ok(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const result = await run(file, args, env);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const installedVersion = async (): Promise<string | undefined> => {
  const { code, stdout } = await run('dpkg-query', ['-W', '-f', '${db:Status-Status} ${Version}', 'spew']);
  return code === 0 && stdout.startsWith('installed ') ? stdout.slice('installed '.length) : undefined;
};

const agentPid = (): number | undefined => {
  try {
    return Number(readFileSync(PIDFILE, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
};

/** Whatever a run left: the packaged agent, its appliances, the package and what it made. */
async function cleanHost(): Promise<void> {
  const pid = agentPid();
  if (pid !== undefined && isAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    await waitFor('the packaged agent to exit', () => !isAlive(pid), SLOW).catch(() => process.kill(pid, 'SIGKILL'));
  }
  for (const shim of processesMatching(' /var/lib/spew/run/')) {
    try {
      process.kill(-shim.pgrp, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  if ((await run('dpkg-query', ['-W', 'spew'])).code === 0) await run('dpkg', ['--purge', 'spew']);
  for (const path of ['/var/lib/spew', '/var/log/spew', '/etc/spew', '/run/spew', PIDFILE, '/run/spew.stderr']) rmSync(path, { recursive: true, force: true });
  if ((await run('getent', ['group', 'spew'])).code === 0) await run('groupdel', ['spew']);
}

const missing = IS_ROOT ? TOOLS.filter((tool) => !['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some((dir) => existsSync(join(dir, tool)))) : [];

/** Why the tests cannot run here, if they cannot: shown in the skipped suite's name. */
const cannot = !IS_ROOT ? 'needs root: dpkg -i' : missing.length > 0 ? `needs ${missing.join(', ')}` : '';

describe.skipIf(cannot !== '')(`the packages${cannot ? ` (${cannot})` : ''}`, () => {
  let work: string;
  let deb: string;
  let nextDeb: string;
  let rpm: string;

  beforeAll(async () => {
    await cleanHost();
    const binary = await builtBinary();
    work = mkdtempSync(join(tmpdir(), 'spew-packages-'));
    const build = join(REPO, 'packaging', 'build.mjs');
    await ok(process.execPath, [build, '--binary', binary, '--out', join(work, 'v1')]);
    await ok(process.execPath, [build, '--binary', binary, '--out', join(work, 'v2'), '--only', 'deb'], { SPEW_PKG_VERSION: NEXT });
    deb = join(work, 'v1', `spew_${VERSION}_amd64.deb`);
    rpm = join(work, 'v1', `spew-${VERSION}-1.x86_64.rpm`);
    nextDeb = join(work, 'v2', `spew_${NEXT}_amd64.deb`);
  }, 900_000);

  afterAll(async () => {
    await cleanHost();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  describe('the .deb', () => {
    it('has no lintian errors', async () => {
      const { code, stdout, stderr } = await run('lintian', ['--tag-display-limit', '0', deb]);
      expect(stdout.split('\n').filter((line) => line.startsWith('E:')), stdout).toEqual([]);
      expect(code, `${stdout}${stderr}`).toBe(0);
    }, 300_000);

    it('installs with dpkg -i: the program on PATH, the config, the dirs, the group', async () => {
      await ok('dpkg', ['-i', deb]);
      expect(await installedVersion()).toBe(VERSION);
      expect(await ok('spew', ['--version'])).toMatch(new RegExp(`^spew/${VERSION.replaceAll('.', '\\.')} \\([0-9a-f]{12}\\)\\n$`));
      expect(await ok('/bin/sh', ['-c', 'command -v spew'])).toBe('/usr/bin/spew\n');
      expect(readFileSync('/etc/spew/spew.toml', 'utf8')).toContain('socket_group = "spew"');
      for (const dir of ['/etc/spew/appliances.d', '/var/lib/spew', '/var/log/spew']) expect(statSync(dir).isDirectory()).toBe(true);
      expect(statSync('/var/lib/spew').mode & 0o777).toBe(0o750);
      expect((await run('getent', ['group', 'spew'])).code).toBe(0);
      expect(existsSync('/lib/systemd/system/spew.service')).toBe(true);
      expect(existsSync('/etc/init/spew.conf')).toBe(true);
      expect(statSync('/etc/init.d/spew').mode & 0o777).toBe(0o755);
      // update-rc.d made the boot links of the init script.
      expect(existsSync('/etc/rc2.d/S01spew')).toBe(true);
    });

    it('runs the agent through the init script, on a socket the members of the spew group may use', async () => {
      if (agentPid() === undefined || !isAlive(agentPid() as number)) expect((await run('/etc/init.d/spew', ['start'])).code).toBe(0);
      expect((await run('/etc/init.d/spew', ['status'])).code).toBe(0);
      const socket = statSync('/run/spew/spew.sock');
      const group = (await ok('getent', ['group', 'spew'])).split(':');
      expect(socket.gid).toBe(Number(group[2]));
      expect(socket.mode & 0o777).toBe(0o660);

      expect((await run('spew', ['run', 'sleeper', '--', 'sleep', '600'])).code).toBe(0);
      // As nobody, with no agent of its own (so spew goes to the host's): refused, unless in
      // the spew group.
      const asNobody = (groups: string[]): Promise<CliResult> =>
        run('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', ...groups, 'env', '-u', 'XDG_RUNTIME_DIR', '-u', 'SPEW_SOCKET', 'HOME=/nonexistent', '/usr/bin/spew', 'status']);
      const outsider = await asNobody(['--clear-groups']);
      expect(outsider.code).toBe(1);
      expect(outsider.stderr).toContain("no permission to use the spew agent's socket /run/spew/spew.sock");
      // It names the group to join, and says what joining it gives.
      expect(outsider.stderr).toContain('its group is "spew": join it');
      expect(outsider.stderr).toContain('can run any command as the agent\'s user');
      const member = await asNobody(['--groups', 'spew']);
      expect(member.code, member.stderr).toBe(0);
      expect(member.stdout).toMatch(/^sleeper .* running /m);
    });

    it('upgrades to a newer package, keeping the config, the state and the running appliances', async () => {
      const before = JSON.parse(await ok('spew', ['status', 'sleeper', '--json'])) as [{ pid: number; ref: string }];
      const oldAgent = agentPid() as number;
      await ok('/bin/sh', ['-c', 'echo "# kept by the upgrade" >>/etc/spew/spew.toml']);

      const upgrade = await run('dpkg', ['-i', nextDeb]);
      expect(upgrade.code, upgrade.stderr).toBe(0);
      expect(await installedVersion()).toBe(NEXT);
      expect(readFileSync('/etc/spew/spew.toml', 'utf8')).toContain('# kept by the upgrade');
      const policy = await run('invoke-rc.d', ['--query', 'spew', 'restart']);
      if (policy.code === 104 || policy.code === 106) {
        // postinst handed off: the old agent is gone, the appliance it ran is not.
        expect(isAlive(oldAgent)).toBe(false);
      } else {
        // policy-rc.d forbids starting the new agent (a container): no hand-off to nothing,
        // the old agent runs on, and says how to finish.
        expect(isAlive(oldAgent)).toBe(true);
        expect(upgrade.stderr).toContain('spew: the agent that runs is left running, as the new one could not be started here (policy-rc.d');
        expect(upgrade.stderr).toContain('/etc/init.d/spew restart-agent');
        expect((await run('/etc/init.d/spew', ['restart-agent'])).code).toBe(0);
        expect(isAlive(oldAgent)).toBe(false);
      }
      expect(isAlive(before[0].pid)).toBe(true);
      const after = JSON.parse(await ok('spew', ['status', 'sleeper', '--json'])) as [{ pid: number; ref: string; reason: string }];
      expect(after[0]).toMatchObject({ pid: before[0].pid, ref: before[0].ref, reason: `re-adopted, pid ${before[0].pid}` });
    });

    it('removes: the program goes, the state and the config stay, and the init script still stops the agent', async () => {
      const appliance = (JSON.parse(await ok('spew', ['status', 'sleeper', '--json'])) as [{ pid: number }])[0].pid;
      const agent = agentPid() as number;
      await ok('dpkg', ['-r', 'spew']);
      expect(existsSync('/usr/bin/spew')).toBe(false);
      expect(existsSync('/var/lib/spew/state.json')).toBe(true);
      expect(existsSync('/etc/spew/spew.toml')).toBe(true);
      // Where policy-rc.d kept prerm from stopping it, the agent runs on without its program:
      // the init script, which stays until purge, stops it all the same (its appliances first).
      if (isAlive(agent)) {
        expect(await run('/etc/init.d/spew', ['status'])).toMatchObject({ code: 0 });
        expect((await run('/etc/init.d/spew', ['stop'])).code).toBe(0);
        expect(isAlive(agent)).toBe(false);
      }
      expect(isAlive(appliance)).toBe(false);
      expect(await run('/etc/init.d/spew', ['status'])).toMatchObject({ code: 3 });
    });

    it('purges: state, logs, its config, boot links and the group go; files the administrator wrote stay, named', async () => {
      await ok('/bin/sh', ['-c', 'mkdir -p /etc/spew/appliances.d && echo "[mine]" >/etc/spew/appliances.d/mine.toml']);
      const purge = await run('dpkg', ['--purge', 'spew']);
      expect(purge.code, purge.stderr).toBe(0);
      for (const path of ['/var/lib/spew', '/var/log/spew', '/etc/spew/spew.toml', '/etc/init.d/spew', '/etc/rc2.d/S01spew']) expect(existsSync(path), path).toBe(false);
      expect(readFileSync('/etc/spew/appliances.d/mine.toml', 'utf8')).toBe('[mine]\n');
      expect(purge.stdout + purge.stderr).toContain('spew: purge keeps /etc/spew/appliances.d/mine.toml, which the package did not install');
      expect((await run('getent', ['group', 'spew'])).code).toBe(2);
      rmSync('/etc/spew', { recursive: true, force: true });
    });
  });

  describe('the .rpm', () => {
    it('holds the files of the description, in Red Hat places, with its config files marked', async () => {
      const files = (await ok('rpm', ['-qpl', rpm])).trim().split('\n');
      expect(files).toEqual(expect.arrayContaining([
        '/usr/bin/spew', '/etc/spew/spew.toml', '/etc/spew/appliances.d', '/usr/lib/systemd/system/spew.service',
        '/etc/init/spew.conf', '/etc/rc.d/init.d/spew', '/var/lib/spew', '/var/log/spew', '/usr/share/man/man1/spew.1.gz',
      ]));
      expect(files).not.toContain('/usr/share/lintian/overrides/spew');
      expect((await ok('rpm', ['-qpc', rpm])).trim().split('\n').sort()).toEqual(['/etc/init/spew.conf', '/etc/rc.d/init.d/spew', '/etc/spew/spew.toml']);
      expect(await ok('rpm', ['-qp', '--queryformat', '%{NAME} %{VERSION} %{RELEASE} %{ARCH}', rpm])).toBe(`spew ${VERSION} 1 x86_64`);
    });

    it('has scripts that add the group, hand off on upgrade, and stop and disable on erase', async () => {
      const scripts = await ok('rpm', ['-qp', '--scripts', rpm]);
      expect(scripts).toMatch(/preinstall scriptlet[^]*groupadd --system spew[^]*\nspew_add_group\n/);
      expect(scripts).toMatch(/postinstall scriptlet[^]*if \[ "\$1" -ge 2 \]; then\n {2}if spew_successor_starts; then\n {4}spew_hand_off/);
      expect(scripts).toMatch(/preuninstall scriptlet[^]*systemctl disable --now spew\.service/);
      // The shared functions are whole in each script that uses them.
      const postinstall = scripts.slice(scripts.indexOf('postinstall scriptlet'), scripts.indexOf('preuninstall scriptlet'));
      const shell = await run('/bin/sh', ['-n', '-c', postinstall.slice(postinstall.indexOf('\n') + 1)]);
      expect(shell.code, shell.stderr).toBe(0);
    });

    it('installs into a temporary root with rpm -i --nodeps --root', async () => {
      const root = join(work, 'rpm-root');
      mkdirSync(root);
      await ok('rpm', ['--root', root, '--initdb']);
      // The scripts need the target's shell, groupadd and service manager, which an empty root
      // lacks; the .deb runs the same shared functions for real above.
      await ok('rpm', ['-i', '--nodeps', '--noscripts', '--root', root, rpm]);
      expect(await ok('rpm', ['--root', root, '-q', 'spew'])).toBe(`spew-${VERSION}-1.x86_64\n`);
      expect(statSync(join(root, 'usr/bin/spew')).mode & 0o777).toBe(0o755);
      expect(statSync(join(root, 'var/lib/spew')).mode & 0o777).toBe(0o750);
      expect(readFileSync(join(root, 'etc/rc.d/init.d/spew'), 'utf8')).toBe(readFileSync(join(REPO, 'init/sysv/spew'), 'utf8'));
      const verify = await run('rpm', ['--root', root, '-V', '--nodeps', 'spew']);
      expect(verify.code, verify.stdout).toBe(0);
    });
  });
});
