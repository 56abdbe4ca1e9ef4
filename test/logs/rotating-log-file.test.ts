import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RotatingLogFile } from '../../src/logs/rotating-log-file.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spew-rotating-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

describe('RotatingLogFile', () => {
  it('appends each line with a newline, creating the parent directory and a 0640 file', () => {
    const path = join(dir, 'nested', 'deeper', 'app.log');
    const file = new RotatingLogFile(path, { maxBytes: 1024, maxFiles: 3 });
    file.append('first');
    file.append('');
    file.append('ünïcødé');
    file.close();
    expect(file.path).toBe(path);
    expect(read(path)).toBe('first\n\nünïcødé\n');
    expect(statSync(path).mode & 0o777).toBe(0o640 & ~process.umask());
  });

  it('creates no file until the first line is appended', () => {
    const path = join(dir, 'quiet.log');
    const file = new RotatingLogFile(path, { maxBytes: 1024, maxFiles: 3 });
    file.close();
    expect(existsSync(path)).toBe(false);
  });

  it('rotates before a write that would take the file past maxBytes, never after', () => {
    const path = join(dir, 'app.log');
    const file = new RotatingLogFile(path, { maxBytes: 10, maxFiles: 3 });
    file.append('1234'); // 5 bytes
    file.append('1234'); // 10 bytes: exactly the limit, no rotation
    expect(existsSync(`${path}.1`)).toBe(false);
    file.append('x'); // would make 12
    file.close();
    expect(read(`${path}.1`)).toBe('1234\n1234\n');
    expect(read(path)).toBe('x\n');
  });

  it('keeps at most maxFiles files, dropping the oldest and keeping the rest in order', () => {
    const path = join(dir, 'app.log');
    const file = new RotatingLogFile(path, { maxBytes: 12, maxFiles: 3 });
    for (let i = 0; i < 20; i++) file.append(`line ${String(i).padStart(2, '0')}`); // 8 bytes each: one per file
    file.close();
    expect(readdirSync(dir).sort()).toEqual(['app.log', 'app.log.1', 'app.log.2']);
    expect(read(`${path}.2`)).toBe('line 17\n');
    expect(read(`${path}.1`)).toBe('line 18\n');
    expect(read(path)).toBe('line 19\n');
  });

  it('keeps the total on disk within maxBytes * maxFiles', () => {
    const path = join(dir, 'app.log');
    const maxBytes = 1000;
    const maxFiles = 4;
    const file = new RotatingLogFile(path, { maxBytes, maxFiles });
    for (let i = 0; i < 5000; i++) file.append(`line number ${i} ${'x'.repeat(i % 37)}`);
    file.close();
    const files = readdirSync(dir);
    expect(files).toHaveLength(maxFiles);
    const total = files.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    expect(total).toBeLessThanOrEqual(maxBytes * maxFiles);
    const all = [`${path}.3`, `${path}.2`, `${path}.1`, path].map(read).join('').trimEnd().split('\n');
    expect(all.at(-1)).toBe(`line number 4999 ${'x'.repeat(4999 % 37)}`);
    all.forEach((line, index) => expect(line.startsWith(`line number ${4999 - all.length + 1 + index} `)).toBe(true));
  });

  it('writes a single line longer than maxBytes whole, into a file of its own', () => {
    const path = join(dir, 'app.log');
    const file = new RotatingLogFile(path, { maxBytes: 8, maxFiles: 3 });
    file.append('ab');
    file.append('a line much longer than eight bytes');
    file.append('cd');
    file.close();
    expect(read(`${path}.2`)).toBe('ab\n');
    expect(read(`${path}.1`)).toBe('a line much longer than eight bytes\n');
    expect(read(path)).toBe('cd\n');
  });

  it('writes lines too long for its shared encoding buffer', () => {
    const path = join(dir, 'app.log');
    const file = new RotatingLogFile(path, { maxBytes: 10_000_000, maxFiles: 2 });
    const long = '€'.repeat(200_000);
    file.append(long);
    file.append('after');
    file.close();
    expect(read(path)).toBe(`${long}\nafter\n`);
  });

  it('with maxFiles 1 starts the live file afresh instead of keeping rotated files', () => {
    const path = join(dir, 'app.log');
    const file = new RotatingLogFile(path, { maxBytes: 6, maxFiles: 1 });
    file.append('abc');
    file.append('def');
    file.close();
    expect(readdirSync(dir)).toEqual(['app.log']);
    expect(read(path)).toBe('def\n');
  });

  it('counts a file left by an earlier run towards the limit', () => {
    const path = join(dir, 'app.log');
    writeFileSync(path, 'previous run\n');
    const file = new RotatingLogFile(path, { maxBytes: 16, maxFiles: 2 });
    file.append('new');
    file.close();
    expect(read(`${path}.1`)).toBe('previous run\n');
    expect(read(path)).toBe('new\n');
  });

  it('reopens and keeps appending after close', () => {
    const path = join(dir, 'app.log');
    const file = new RotatingLogFile(path, { maxBytes: 100, maxFiles: 2 });
    file.append('before');
    file.close();
    file.append('after');
    file.close();
    expect(read(path)).toBe('before\nafter\n');
  });

  it('rejects limits that cannot hold anything', () => {
    expect(() => new RotatingLogFile(join(dir, 'a.log'), { maxBytes: 0, maxFiles: 2 })).toThrow(RangeError);
    expect(() => new RotatingLogFile(join(dir, 'a.log'), { maxBytes: 10, maxFiles: 0 })).toThrow(RangeError);
  });
});
