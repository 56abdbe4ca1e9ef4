import { describe, expect, it } from 'vitest';
import { decodeWaitStatus, parsePidRecord, parseStatusLine } from '../../src/runners/shell-shim.js';

describe('shell shim records', () => {
  it('reads a plain exit status as an exit code', () => {
    expect(decodeWaitStatus(0)).toEqual({ kind: 'exit', code: 0 });
    expect(decodeWaitStatus(3)).toEqual({ kind: 'exit', code: 3 });
  });

  it('reads 128+N as death by signal N, as shells report it', () => {
    expect(decodeWaitStatus(137)).toEqual({ kind: 'signal', signal: 'SIGKILL' });
    expect(decodeWaitStatus(143)).toEqual({ kind: 'signal', signal: 'SIGTERM' });
  });

  it('keeps a status above 128 that names no signal as an exit code', () => {
    expect(decodeWaitStatus(255)).toEqual({ kind: 'exit', code: 255 });
  });

  it('takes the last line of what the lifeline carried, and nothing from garbage', () => {
    expect(parseStatusLine('1\n')).toEqual({ kind: 'exit', code: 1 });
    expect(parseStatusLine('')).toBeUndefined();
    expect(parseStatusLine('oops')).toBeUndefined();
  });

  it('parses the pid record the shim writes, refusing a torn one', () => {
    expect(parsePidRecord('123 456789\n')).toEqual({ pid: 123, startTime: '456789' });
    expect(parsePidRecord('123')).toBeUndefined();
  });
});
