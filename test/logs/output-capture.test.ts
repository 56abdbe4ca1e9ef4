import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseLogLine } from '../../src/logs/log-line.js';
import { OutputCapture } from '../../src/logs/output-capture.js';
import { RotatingLogFile } from '../../src/logs/rotating-log-file.js';

let dir: string;
let path: string;
let capture: OutputCapture;
let tick: number;

/** A clock that advances one second per read, so tests can see when it was consulted. */
function clock(): Date {
  return new Date(Date.UTC(2026, 10, 22, 10, 0, tick++));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spew-capture-'));
  path = join(dir, 'app.log');
  tick = 0;
  capture = new OutputCapture(new RotatingLogFile(path, { maxBytes: 1024 * 1024, maxFiles: 2 }), clock);
});

afterEach(async () => {
  capture.close();
  await rm(dir, { recursive: true, force: true });
});

function fileLines(): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

describe('OutputCapture', () => {
  it('writes each line, stamped and tagged with its stream, to the file and to every subscriber', () => {
    const first: string[] = [];
    const second: string[] = [];
    capture.subscribe((line) => first.push(line));
    capture.subscribe((line) => second.push(line));
    capture.write('out', Buffer.from('hello\n'));
    capture.write('err', Buffer.from('oops\n'));
    const expected = ['2026-11-22T10:00:00.000Z out hello', '2026-11-22T10:00:01.000Z err oops'];
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
    expect(fileLines()).toEqual(expected);
  });

  it('stamps the lines of one chunk with one time', () => {
    capture.write('out', Buffer.from('a\nb\n'));
    capture.write('out', Buffer.from('c\n'));
    expect(fileLines().map((line) => parseLogLine(line)?.time)).toEqual([
      '2026-11-22T10:00:00.000Z',
      '2026-11-22T10:00:00.000Z',
      '2026-11-22T10:00:01.000Z',
    ]);
  });

  it('stops calling a subscriber once it unsubscribes', () => {
    const seen: string[] = [];
    const unsubscribe = capture.subscribe((line) => seen.push(parseLogLine(line)?.text ?? ''));
    capture.write('out', Buffer.from('one\n'));
    unsubscribe();
    capture.write('out', Buffer.from('two\n'));
    expect(seen).toEqual(['one']);
    expect(fileLines()).toHaveLength(2);
  });

  it('keeps partial stdout and stderr lines apart when their chunks interleave', () => {
    capture.write('out', Buffer.from('std'));
    capture.write('err', Buffer.from('std'));
    capture.write('err', Buffer.from('err\n'));
    capture.write('out', Buffer.from('out\n'));
    expect(fileLines().map((line) => {
      const parsed = parseLogLine(line);
      return `${parsed?.stream} ${parsed?.text}`;
    })).toEqual(['err stderr', 'out stdout']);
  });

  it('records the unterminated last line of a stream when it ends', () => {
    capture.write('out', Buffer.from('no newline'));
    expect(readFileSync(path, { encoding: 'utf8', flag: 'a+' })).toBe('');
    capture.end('out');
    expect(fileLines().map((line) => parseLogLine(line)?.text)).toEqual(['no newline']);
  });

  it('keeps partial lines when closed', () => {
    capture.write('err', Buffer.from('last words'));
    capture.close();
    expect(fileLines().map((line) => parseLogLine(line)?.text)).toEqual(['last words']);
  });

  it('drops a subscriber that throws and keeps serving the others', () => {
    const seen: string[] = [];
    let calls = 0;
    capture.subscribe(() => {
      calls++;
      throw new Error('viewer gone');
    });
    capture.subscribe((line) => seen.push(line));
    capture.write('out', Buffer.from('one\ntwo\n'));
    expect(calls).toBe(1);
    expect(seen).toHaveLength(2);
    expect(fileLines()).toHaveLength(2);
  });
});
