import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultInstanceConfig, loadInstanceConfig } from '../../src/config/instance-config.js';
import { installService, InstallError, type InstallRequest } from '../../src/service/install-service.js';

const REPO = join(import.meta.dirname, '..', '..');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spew-service-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const request = (over: Partial<InstallRequest> = {}): InstallRequest => ({
  system: 'sysv',
  name: 'spew',
  binary: '/usr/bin/spew',
  config: join(dir, 'etc', 'spew.toml'),
  output: join(dir, 'init.d', 'spew'),
  packageRoot: REPO,
  ...over,
});

describe('installService', () => {
  it('writes the script with its mode, creating the folders it needs, and says what to run next', async () => {
    const report = await installService(request());
    expect(report.script).toBe(join(dir, 'init.d', 'spew'));
    expect(statSync(report.script).mode & 0o777).toBe(0o755);
    expect(readFileSync(report.script, 'utf8')).toContain(`\nCONFIG=${join(dir, 'etc', 'spew.toml')}\n`);
    expect(report.nextSteps).toEqual(['update-rc.d spew defaults   # Red Hat: chkconfig --add spew', 'service spew start']);
  });

  it('writes a config that loads with every key at its default when there is none', async () => {
    const report = await installService(request());
    expect(report.configWritten).toBe(join(dir, 'etc', 'spew.toml'));
    const loaded = await loadInstanceConfig({ file: report.configWritten, env: {}, uid: 0 });
    expect({ ...loaded, configFile: null }).toEqual(defaultInstanceConfig({}, 0));
  });

  it('leaves a config that is there alone', async () => {
    const config = join(dir, 'mine.toml');
    writeFileSync(config, 'log_level = "debug"\n');
    const report = await installService(request({ config }));
    expect(report.configWritten).toBeUndefined();
    expect(readFileSync(config, 'utf8')).toBe('log_level = "debug"\n');
  });

  it('rewrites a script that is there, mode included', async () => {
    const output = join(dir, 'spew.service');
    writeFileSync(output, 'old');
    chmodSync(output, 0o600);
    await installService(request({ system: 'systemd', output }));
    expect(readFileSync(output, 'utf8')).toContain('ExecStart=/usr/bin/spew agent');
    expect(statSync(output).mode & 0o777).toBe(0o644);
  });

  it('says which file it cannot write and why', async () => {
    writeFileSync(join(dir, 'file'), '');
    await expect(installService(request({ output: join(dir, 'file', 'spew') }))).rejects.toThrow(
      new InstallError(`cannot write ${join(dir, 'file', 'spew')}: a part of the path is not a directory (ENOTDIR)`),
    );
    await expect(installService(request({ output: '/proc/spew-test/spew' }))).rejects.toThrow(/^cannot write \/proc\/spew-test\/spew: no such directory \(ENOENT\)$/);
  });
});
