import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from 'winston';
import { createAgentLogger } from '../../src/logs/agent-logger.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spew-agent-log-'));
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `log` on a foreground logger and returns what it wrote to stderr. */
async function captureForeground(isTTY: boolean, log: (logger: Logger) => void): Promise<string> {
  const written: string[] = [];
  // winston's Console transport writes through console._stderr, which is process.stderr outside a test runner.
  const stderr = (console as unknown as { _stderr: NodeJS.WriteStream })._stderr;
  const spy = vi.spyOn(stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const wasTTY = process.stderr.isTTY;
  // The logger asks process.stderr, the stream it stands for, whether colour would reach a terminal.
  process.stderr.isTTY = isTTY;
  try {
    const logger = createAgentLogger({ level: 'debug', foreground: true, logDir: dir });
    log(logger);
    await vi.waitFor(() => expect(written).not.toHaveLength(0));
    logger.close();
  } finally {
    process.stderr.isTTY = wasTTY;
    spy.mockRestore();
  }
  return written.join('');
}

/** An ISO timestamp and its space. */
const TIME_PREFIX = 25;
const ENTRY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (ERROR|WARN |INFO |DEBUG) /;

describe('createAgentLogger', () => {
  it('writes one-line entries with key=value metadata to agent.log when not in the foreground', async () => {
    const logDir = join(dir, 'logs');
    const logger = createAgentLogger({ level: 'info', foreground: false, logDir });
    logger.info('agent started', { port: 7070, socket: '/run/spew.sock', note: 'has spaces' });
    logger.debug('not at this level');
    logger.warn('two\nlines', { error: new Error('boom') });
    const file = join(logDir, 'agent.log');
    await vi.waitFor(() => {
      expect(existsSync(file) && readFileSync(file, 'utf8').split('\n')).toHaveLength(3);
    });
    logger.close();
    const [started, warning] = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(started).toMatch(ENTRY);
    expect(started?.slice(TIME_PREFIX)).toBe('INFO  agent started port=7070 socket=/run/spew.sock note="has spaces"');
    expect(warning).toMatch(ENTRY);
    expect(warning?.slice(TIME_PREFIX)).toBe('WARN  two\\nlines error="boom"');
  });

  it('writes to stderr without colour codes when stderr is not a terminal', async () => {
    const output = await captureForeground(false, (logger) => logger.debug('details', { attempt: 2 }));
    expect(output).toMatch(ENTRY);
    expect(output.slice(TIME_PREFIX)).toBe('DEBUG details attempt=2\n');
    expect(existsSync(join(dir, 'agent.log'))).toBe(false);
  });

  it('colours the level when stderr is a terminal, unless NO_COLOR is set', async () => {
    vi.stubEnv('NO_COLOR', '');
    const coloured = await captureForeground(true, (logger) => logger.error('failed'));
    expect(coloured.slice(TIME_PREFIX)).toBe('\u001b[31mERROR\u001b[39m failed\n');
    vi.stubEnv('NO_COLOR', '1');
    const plain = await captureForeground(true, (logger) => logger.error('failed'));
    expect(plain).toMatch(ENTRY);
    expect(plain.slice(TIME_PREFIX)).toBe('ERROR failed\n');
  });
});
