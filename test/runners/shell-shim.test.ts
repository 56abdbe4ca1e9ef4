import { describe, expect, it } from 'vitest';
import {
  decodeWaitStatus, parseExitRecord, parseLifelineLine, parseShimRecord,
} from '../../src/runners/shell-shim.js';

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

  it('reads what a shim says on its lifeline, and nothing from garbage', () => {
    expect(parseLifelineLine('pid 123 456789 42.17')).toEqual({ kind: 'pid', shim: { pid: 123, startTime: '456789', runSince: 42.17 } });
    expect(parseLifelineLine('exit 123 1')).toEqual({ kind: 'exit', pid: 123, reason: { kind: 'exit', code: 1 } });
    expect(parseLifelineLine('exit 123 143')).toEqual({ kind: 'exit', pid: 123, reason: { kind: 'signal', signal: 'SIGTERM' } });
    expect(parseLifelineLine('error 123 cannot change into the working directory /x y')).toEqual({
      kind: 'error', pid: 123, message: 'cannot change into the working directory /x y', transient: false,
    });
    expect(parseLifelineLine("error 123 retry: cannot write the run's pid record in /r (is the disk full?)")).toEqual({
      kind: 'error', pid: 123, message: "cannot write the run's pid record in /r (is the disk full?)", transient: true,
    });
    expect(parseLifelineLine('pid 123')).toBeUndefined();
    expect(parseLifelineLine('3')).toBeUndefined();
    expect(parseLifelineLine('')).toBeUndefined();
  });

  it('parses the records the shim writes, refusing torn ones', () => {
    expect(parseShimRecord('123 456789 42.17\n')).toEqual({ pid: 123, startTime: '456789', runSince: 42.17 });
    expect(parseShimRecord('123 456789')).toBeUndefined();
  });

  it('takes an exit record only from the shim that wrote it: a late one may be from the run before', () => {
    expect(parseExitRecord('123 3\n', 123)).toEqual({ kind: 'exit', code: 3 });
    expect(parseExitRecord('122 3\n', 123)).toBeUndefined();
    expect(parseExitRecord('123', 123)).toBeUndefined();
  });
});
