import { describe, expect, it } from 'vitest';
import { detectInitSystem, INIT_SYSTEM_FACTS, type HostProbe } from '../../src/service/init-system.js';

const host = (dirs: string[], initctl?: string): HostProbe => ({
  isDirectory: async (path) => dirs.includes(path),
  initctlVersion: async () => initctl,
});

describe('detectInitSystem', () => {
  it('is systemd when /run/systemd/system exists, as sd_booted says', async () => {
    expect(await detectInitSystem(host(['/run/systemd/system'], 'initctl (upstart 1.12.1)'))).toBe('systemd');
  });

  it('is upstart when initctl says so', async () => {
    expect(await detectInitSystem(host([], 'initctl (upstart 1.12.1)\nCopyright (C) 2006-2014 Canonical Ltd.'))).toBe('upstart');
  });

  it('is sysv otherwise, also with an initctl that is not upstart', async () => {
    expect(await detectInitSystem(host([]))).toBe('sysv');
    expect(await detectInitSystem(host([], 'initctl from something else'))).toBe('sysv');
  });
});

describe('INIT_SYSTEM_FACTS', () => {
  it('puts each script where its init system looks, named after the service', () => {
    expect(INIT_SYSTEM_FACTS.systemd.installPath('spew')).toBe('/etc/systemd/system/spew.service');
    expect(INIT_SYSTEM_FACTS.upstart.installPath('spew')).toBe('/etc/init/spew.conf');
    expect(INIT_SYSTEM_FACTS.sysv.installPath('spew')).toBe('/etc/init.d/spew');
    expect(INIT_SYSTEM_FACTS.sysv.mode).toBe(0o755);
  });
});
