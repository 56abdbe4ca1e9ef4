import { closeSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLastLines } from '../../src/logs/log-tail.js';
import { RotatingLogFile } from '../../src/logs/rotating-log-file.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spew-tail-'));
  path = join(dir, 'app.log');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function lines(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);
}

describe('readLastLines', () => {
  it('returns the last n lines of a single file, oldest first', async () => {
    writeFileSync(path, `${lines(1, 10).join('\n')}\n`);
    expect(await readLastLines(path, 3, 5)).toEqual(lines(8, 10));
  });

  it('reads a last line that has no trailing newline', async () => {
    writeFileSync(path, 'one\ntwo\nthree');
    expect(await readLastLines(path, 2, 1)).toEqual(['two', 'three']);
    expect(await readLastLines(path, 10, 1)).toEqual(['one', 'two', 'three']);
  });

  it('keeps empty lines, including a leading one', async () => {
    writeFileSync(path, '\na\n\nb\n');
    expect(await readLastLines(path, 10, 1)).toEqual(['', 'a', '', 'b']);
  });

  it('returns nothing for n = 0, an empty file or no file at all', async () => {
    writeFileSync(path, 'one\n');
    expect(await readLastLines(path, 0, 3)).toEqual([]);
    expect(await readLastLines(join(dir, 'missing.log'), 5, 3)).toEqual([]);
    writeFileSync(path, '');
    expect(await readLastLines(path, 5, 3)).toEqual([]);
  });

  it('continues into the rotated files, newest first, and returns the lines in order', async () => {
    const file = new RotatingLogFile(path, { maxBytes: 40, maxFiles: 4 });
    for (const line of lines(1, 20)) file.append(line);
    file.close();
    // 7-8 bytes per line, 5 lines per file: path.3 holds lines 1-5 ... path holds 16-20.
    expect(await readLastLines(path, 8, 4)).toEqual(lines(13, 20));
    expect(await readLastLines(path, 16, 4)).toEqual(lines(5, 20));
  });

  it('returns every line when n is larger than all files hold', async () => {
    const file = new RotatingLogFile(path, { maxBytes: 40, maxFiles: 3 });
    for (const line of lines(1, 12)) file.append(line);
    file.close();
    expect(await readLastLines(path, 1000, 3)).toEqual(lines(1, 12));
  });

  it('looks at no more than maxFiles files', async () => {
    writeFileSync(`${path}.2`, 'too old\n');
    writeFileSync(`${path}.1`, 'older\n');
    writeFileSync(path, 'newest\n');
    expect(await readLastLines(path, 10, 2)).toEqual(['older', 'newest']);
  });

  it('treats each file as ending its last line, even without a trailing newline', async () => {
    writeFileSync(`${path}.1`, 'a\nb');
    writeFileSync(path, 'c\nd');
    expect(await readLastLines(path, 10, 2)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('joins lines and multi-byte characters that straddle its read blocks', async () => {
    const expected = Array.from({ length: 5000 }, (_, i) => `${i} ${'日本語🙂'.repeat(i % 13)}`);
    writeFileSync(path, `${expected.join('\n')}\n`);
    expect(await readLastLines(path, 5000, 1)).toEqual(expected);
    expect(await readLastLines(path, 1234, 1)).toEqual(expected.slice(-1234));
  });

  it('reads only the end of a huge file to get its last lines', async () => {
    // An 8 GiB sparse file: reading it whole would fail or take far too long; the end is one block.
    const fd = openSync(path, 'w');
    const size = 8 * 1024 ** 3;
    ftruncateSync(fd, size);
    writeSync(fd, `\n${lines(1, 3).join('\n')}\n`, size);
    closeSync(fd);
    const started = performance.now();
    expect(await readLastLines(path, 3, 1)).toEqual(lines(1, 3));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
