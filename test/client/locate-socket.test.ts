import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { locateSocket } from '../../src/client/locate-socket.js';

// The instance config is another module's job; here only who wins matters. The host's config
// file is one of the test's own, made (or not) per test.
const host = vi.hoisted(() => ({ dir: '' }));
host.dir = mkdtempSync(join(tmpdir(), 'spew-locate-'));
const loadInstanceConfig = vi.hoisted(() => vi.fn());
vi.mock('../../src/config/instance-config.js', () => ({ loadInstanceConfig, ROOT_CONFIG_FILE: join(host.dir, 'spew.toml') }));
afterAll(() => rmSync(host.dir, { recursive: true, force: true }));

beforeEach(() => {
  loadInstanceConfig.mockReset();
  loadInstanceConfig.mockImplementation(async (opts: { file?: string }) => ({
    socket: opts.file ? `socket-of:${opts.file}` : '/default/spew.sock',
  }));
});

describe('locateSocket', () => {
  const env = { SPEW_SOCKET: '/env/spew.sock' };

  it('takes --socket over everything else', async () => {
    expect(await locateSocket({ socket: '/flag.sock', config: 'x.toml' }, env, 1000)).toBe('/flag.sock');
    expect(loadInstanceConfig).not.toHaveBeenCalled();
  });

  it('takes SPEW_SOCKET over --config', async () => {
    expect(await locateSocket({ config: 'x.toml' }, env, 1000)).toBe('/env/spew.sock');
    expect(loadInstanceConfig).not.toHaveBeenCalled();
  });

  it('takes the socket of the --config file next', async () => {
    expect(await locateSocket({ config: 'x.toml' }, {}, 1000)).toBe('socket-of:x.toml');
    expect(loadInstanceConfig).toHaveBeenCalledWith({ file: 'x.toml', env: {}, uid: 1000 });
  });

  it('falls back to the default instance config for this user', async () => {
    expect(await locateSocket({}, { HOME: '/home/u' }, 0)).toBe('/default/spew.sock');
    expect(loadInstanceConfig).toHaveBeenCalledWith({ env: { HOME: '/home/u' }, uid: 0 });
  });

  it('talks to the host\'s agent when a plain user runs none of their own', async () => {
    const own = join(host.dir, 'own.sock');
    loadInstanceConfig.mockImplementation(async (opts: { file?: string }) => ({ socket: opts.file ? '/run/spew/spew.sock' : own }));
    rmSync(join(host.dir, 'spew.toml'), { force: true });
    expect(await locateSocket({}, {}, 1000)).toBe(own);
    writeFileSync(join(host.dir, 'spew.toml'), '');
    expect(await locateSocket({}, {}, 1000)).toBe('/run/spew/spew.sock');
    writeFileSync(own, '');
    expect(await locateSocket({}, {}, 1000)).toBe(own);
    for (const file of [own, join(host.dir, 'spew.toml')]) rmSync(file);
  });

  it('ignores an empty SPEW_SOCKET', async () => {
    expect(await locateSocket({}, { SPEW_SOCKET: '' }, 1000)).toBe('/default/spew.sock');
  });
});
