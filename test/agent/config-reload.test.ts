import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigReloader, type ReloadLogger } from '../../src/agent/config-reload.js';
import { loadInstanceConfig } from '../../src/config/instance-config.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spew-reload-'));
  file = join(dir, 'spew.toml');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A logger that keeps `LEVEL message` lines, and a level the reloader may change. */
function recordingLogger(): ReloadLogger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => lines.push(`${level} ${message}`);
  return { level: 'info', lines, info: at('info'), warn: at('warn'), error: at('error') } as unknown as ReloadLogger & { lines: string[] };
}

async function reloaderOn(text: string): Promise<{ reloader: ConfigReloader; logger: ReturnType<typeof recordingLogger> }> {
  writeFileSync(file, text);
  const logger = recordingLogger();
  const config = await loadInstanceConfig({ file, env: {}, uid: 0 });
  return { reloader: new ConfigReloader(config, logger, () => loadInstanceConfig({ file, env: {}, uid: 0 })), logger };
}

describe('ConfigReloader', () => {
  it('applies a new log_level at once', async () => {
    const { reloader, logger } = await reloaderOn('log_level = "info"\n');
    writeFileSync(file, 'log_level = "debug"\n');
    await reloader.reload();
    expect(logger.level).toBe('debug');
    expect(logger.lines).toEqual(['info reload: log_level is now debug']);
  });

  it('says which changed settings wait for the next start, by the names the file uses', async () => {
    const { reloader, logger } = await reloaderOn('stop_timeout = "10s"\n');
    writeFileSync(file, 'stop_timeout = "20s"\nhistory_limit = 7\n[supervision]\nmax_restarts = 3\n');
    await reloader.reload();
    expect(logger.lines).toEqual([
      'warn reload: stop_timeout, history_limit, supervision changed; the agent applies this when it next starts (systemctl restart spew)',
    ]);
  });

  it('leaves a joined, changed or dropped [cluster] for the next start', async () => {
    const joined = '[cluster]\netcd = "http://127.0.0.1:2379"\nname = "a"\n';
    const { reloader, logger } = await reloaderOn(joined);
    for (const text of [joined.replace('"a"', '"b"'), 'log_level = "info"\n', joined]) {
      writeFileSync(file, text);
      await reloader.reload();
    }
    const waits = 'warn reload: cluster changed; the agent applies this when it next starts (systemctl restart spew)';
    expect(logger.lines).toEqual([waits, waits, 'info reload: ' + file + ': nothing changed']);
  });

  it('keeps saying so on the next reload, as the running agent still has the old values', async () => {
    const { reloader, logger } = await reloaderOn('stop_timeout = "10s"\n');
    writeFileSync(file, 'stop_timeout = "20s"\n');
    await reloader.reload();
    await reloader.reload();
    expect(logger.lines.filter((l) => l.includes('stop_timeout'))).toHaveLength(2);
  });

  it('points include changes at spew apply', async () => {
    const { reloader, logger } = await reloaderOn('include = []\n');
    writeFileSync(file, 'include = ["more/*.toml"]\n');
    await reloader.reload();
    expect(logger.lines).toEqual([expect.stringMatching(/^warn reload: include changed; .*`spew apply`/)]);
  });

  it('refuses a file that does not load, naming file:line:col and key, and keeps the config it runs on', async () => {
    const { reloader, logger } = await reloaderOn('log_level = "info"\n');
    writeFileSync(file, 'log_level = "loud"\nsocket_mode = 660\n');
    await reloader.reload();
    expect(logger.level).toBe('info');
    expect(logger.lines[0]).toMatch(new RegExp(`^error reload refused: ${file}:1:\\d+: log_level: expected one of`));
    expect(logger.lines[1]).toMatch(new RegExp(`^error reload refused: ${file}:2:\\d+: socket_mode: `));
    expect(logger.lines[2]).toBe(`warn reload: still running on the config loaded before from ${file}`);
    // Fixed, the file reloads as if the bad one had never been there.
    writeFileSync(file, 'log_level = "warn"\n');
    await reloader.reload();
    expect(logger.level).toBe('warn');
  });

  it('says so when nothing changed', async () => {
    const { reloader, logger } = await reloaderOn('log_level = "info"\n');
    await reloader.reload();
    expect(logger.lines).toEqual([`info reload: ${file}: nothing changed`]);
  });
});
