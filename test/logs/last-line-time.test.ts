import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastLineTime } from '../../src/logs/last-line-time.js';

describe('lastLineTime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spew-last-line-'));
  afterEach(() => rmSync(join(dir, 'app.log'), { force: true }));

  it('answers the time of the last complete captured line', () => {
    writeFileSync(join(dir, 'app.log'), '2026-11-22T10:00:00.000Z out a\n2026-11-22T10:00:01.500Z err b\npartial without time');
    expect(lastLineTime(join(dir, 'app.log'))).toEqual(new Date('2026-11-22T10:00:01.500Z'));
  });

  it('finds it at the end of a file far larger than what it reads', () => {
    const filler = '2026-11-22T09:00:00.000Z out x\n'.repeat(10_000);
    writeFileSync(join(dir, 'app.log'), `${filler}2026-11-22T10:00:02.000Z out last\n`);
    expect(lastLineTime(join(dir, 'app.log'))).toEqual(new Date('2026-11-22T10:00:02.000Z'));
  });

  it('answers undefined for a missing or empty log', () => {
    expect(lastLineTime(join(dir, 'none.log'))).toBeUndefined();
    writeFileSync(join(dir, 'app.log'), '');
    expect(lastLineTime(join(dir, 'app.log'))).toBeUndefined();
  });
});
