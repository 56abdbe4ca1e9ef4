import { appendFileSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputCapture } from '../../src/logs/output-capture.js';
import { RotatingLogFile } from '../../src/logs/rotating-log-file.js';
import { SpoolReader } from '../../src/logs/spool-reader.js';
import type { OutputStream } from '../../src/logs/log-line.js';

let dir: string;
let trims: [OutputStream, number][];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spew-spool-'));
  trims = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const log = (): string => join(dir, 'app.log');

/** A reader as an agent makes one: a fresh capture on the same files, recovered. */
function reader(maxBytes = 1 << 20): { spool: SpoolReader; capture: OutputCapture } {
  const capture = new OutputCapture(new RotatingLogFile(log(), { maxBytes, maxFiles: 3 }), () => new Date('2026-12-04T10:00:00.000Z'));
  const spool = new SpoolReader(dir, capture, (stream, offset) => trims.push([stream, offset]));
  spool.recover();
  return { spool, capture };
}

/** The text of every logged line, oldest file first. */
function logged(): string[] {
  const files = readdirSync(dir).filter((f) => f.startsWith('app.log')).sort().reverse();
  return files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '')).map((l) => l.slice(25));
}

function spool(stream: OutputStream, text: string): void {
  appendFileSync(join(dir, `${stream}.spool`), text);
}

describe('SpoolReader', () => {
  it('logs the complete lines of both spools and keeps a line not ended yet for later', () => {
    const { spool: r } = reader();
    spool('out', 'one\ntwo\nthr');
    spool('err', 'oops\n');
    r.drain(Infinity);
    expect(logged()).toEqual(['out one', 'out two', 'err oops']);
    spool('out', 'ee\n');
    r.drain(Infinity);
    expect(logged()).toEqual(['out one', 'out two', 'err oops', 'out three']);
  });

  it('logs a last line without its newline once the run has ended, up to the sizes it ended at', () => {
    const { spool: r } = reader();
    spool('out', 'done\nno newline');
    r.drain(Infinity);
    r.drain(Infinity, { out: 'done\nno newline'.length, err: 0 });
    spool('out', 'next run\n');
    r.drain(Infinity);
    expect(logged()).toEqual(['out done', 'out no newline', 'out next run']);
  });

  it('picks up where the last reader left: nothing logged twice, nothing skipped', () => {
    const first = reader();
    spool('out', 'a\nb\n');
    first.spool.drain(Infinity);
    first.spool.close();
    spool('out', 'c\n');
    reader().spool.drain(Infinity);
    expect(logged()).toEqual(['out a', 'out b', 'out c']);
  });

  it('logs a batch once when the last reader was killed after writing it and before recording it', () => {
    const first = reader();
    spool('out', 'a\nb\n');
    first.spool.drain(Infinity);
    // A batch written to the log, its record never written: as a kill -9 between the two leaves it.
    spool('out', 'c\nd\n');
    appendFileSync(log(), '2026-12-04T10:00:00.000Z out c\n2026-12-04T10:00:00.000Z out d\n');
    reader().spool.drain(Infinity);
    expect(logged()).toEqual(['out a', 'out b', 'out c', 'out d']);
  });

  it('falls back to the other slot when the newer record was torn, and still logs everything once', () => {
    const first = reader();
    spool('out', 'a\n');
    first.spool.drain(Infinity);
    spool('out', 'b\n');
    first.spool.drain(Infinity);
    first.spool.close();
    const pos = join(dir, 'log.pos');
    const text = readFileSync(pos, 'utf8');
    // The newer slot is the second (sequence 2): torn in the middle.
    writeFileSync(pos, text.slice(0, 128) + text.slice(128, 150).replace(/./g, '\u0000') + text.slice(150));
    spool('out', 'c\n');
    reader().spool.drain(Infinity);
    expect(logged()).toEqual(['out a', 'out b', 'out c']);
  });

  it('undoes a batch cut short across a rotation: the rotated file cut back, the live one emptied', () => {
    const first = reader(60);
    spool('out', 'first line of the test\n');
    first.spool.drain(Infinity);
    first.spool.close();
    // A next batch rotated the log and was written into the new live file; no record followed.
    spool('out', 'second line of the test\n');
    const again = new RotatingLogFile(log(), { maxBytes: 60, maxFiles: 3 });
    again.appendBatch(['2026-12-04T10:00:00.000Z out second line of the test', '2026-12-04T10:00:00.000Z out second line of the test']);
    again.close();
    reader(60).spool.drain(Infinity);
    expect(logged()).toEqual(['out first line of the test', 'out second line of the test']);
  });

  it('lets the keeper replace a spool it has logged all of, and reads the new one from its start, however big it is', () => {
    const { spool: r } = reader();
    const line = `${'x'.repeat(1023)}\n`;
    spool('out', line.repeat(1100));
    r.drain(Infinity);
    expect(trims).toEqual([['out', 1100 * 1024]]);
    // The keeper puts a new spool in its place, and spools on: more than was in the old one.
    const fresh = join(dir, 'out.spool.new');
    writeFileSync(fresh, `first after the trim\n${line.repeat(1200)}`);
    renameSync(fresh, join(dir, 'out.spool'));
    r.drain(Infinity);
    expect(logged()[1100]).toBe('out first after the trim');
    expect(logged()).toHaveLength(1100 + 1 + 1200);
  });

  it('reads a spool replaced while no reader ran from its start, as its record names the old one', () => {
    const first = reader();
    spool('out', 'a\nb\n');
    first.spool.drain(Infinity);
    first.spool.close();
    const fresh = join(dir, 'out.spool.new');
    writeFileSync(fresh, 'c\nd\ne\nf\n');
    renameSync(fresh, join(dir, 'out.spool'));
    reader().spool.drain(Infinity);
    expect(logged()).toEqual(['out a', 'out b', 'out c', 'out d', 'out e', 'out f']);
  });

  it('stops a drain once past its budget, says that more is left, and the next drains log the rest', () => {
    const { spool: r } = reader();
    const line = `${'y'.repeat(56)}\n`;
    spool('out', line.repeat(20_000));
    expect(r.drain(300 * 1024)).toBe(true);
    const first = logged().length;
    expect(first).toBeLessThan(20_000);
    let drains = 1;
    while (r.drain(300 * 1024)) drains += 1;
    expect(logged()).toHaveLength(20_000);
    expect(drains).toBeGreaterThan(1);
  });
});
