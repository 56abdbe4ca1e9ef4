import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/logs/line-splitter.js';

function collect(maxLineBytes?: number): { lines: string[]; splitter: LineSplitter } {
  const lines: string[] = [];
  return { lines, splitter: new LineSplitter((text) => lines.push(text), maxLineBytes) };
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated) and pushes every piece. */
function pushInPieces(splitter: LineSplitter, bytes: Buffer, cuts: number[]): void {
  let start = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    splitter.push(bytes.subarray(start, cut));
    start = cut;
  }
  splitter.push(bytes.subarray(start));
}

describe('LineSplitter', () => {
  it('emits each complete line without its newline and keeps the partial tail', () => {
    const { lines, splitter } = collect();
    splitter.push(Buffer.from('one\ntwo\nthr'));
    expect(lines).toEqual(['one', 'two']);
    splitter.push(Buffer.from('ee\n'));
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('emits empty lines for consecutive newlines', () => {
    const { lines, splitter } = collect();
    splitter.push(Buffer.from('\n\na\n\n'));
    expect(lines).toEqual(['', '', 'a', '']);
  });

  it('removes the carriage return of CRLF, even when the CR and LF arrive in different chunks', () => {
    const { lines, splitter } = collect();
    splitter.push(Buffer.from('dos\r\nsplit\r'));
    splitter.push(Buffer.from('\ninner\rcr\n'));
    expect(lines).toEqual(['dos', 'split', 'inner\rcr']);
  });

  it('yields the same lines wherever the chunk boundaries fall, multi-byte characters included', () => {
    const text = 'héllo wörld\r\n日本語のテキスト\n🙂 emoji 🙂\n\nlast without newline';
    const bytes = Buffer.from(text);
    const expected = ['héllo wörld', '日本語のテキスト', '🙂 emoji 🙂', '', 'last without newline'];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 20 }), (cuts) => {
        const { lines, splitter } = collect();
        pushInPieces(splitter, bytes, cuts);
        splitter.flush();
        expect(lines).toEqual(expected);
      }),
    );
  });

  it('does not split a UTF-8 character pushed one byte at a time', () => {
    const { lines, splitter } = collect();
    for (const byte of Buffer.from('€🙂\n')) splitter.push(Buffer.from([byte]));
    expect(lines).toEqual(['€🙂']);
  });

  it('emits a line longer than maxLineBytes in pieces of at most maxLineBytes', () => {
    const { lines, splitter } = collect(10);
    splitter.push(Buffer.from(`${'a'.repeat(25)}\nshort\n`));
    expect(lines).toEqual(['a'.repeat(10), 'a'.repeat(10), 'a'.repeat(5), 'short']);
  });

  it('emits pieces of an over-long line before its newline arrives, so memory stays bounded', () => {
    const { lines, splitter } = collect(8);
    for (let i = 0; i < 5; i++) splitter.push(Buffer.from('abcd'));
    expect(lines).toEqual(['abcdabcd', 'abcdabcd']);
    splitter.push(Buffer.from('\n'));
    expect(lines).toEqual(['abcdabcd', 'abcdabcd', 'abcd']);
  });

  it('cuts an over-long line before a multi-byte character rather than through it', () => {
    const { lines, splitter } = collect(8);
    // 'aaaaaaa' is 7 bytes; '€' (3 bytes) would cross the 8-byte cut.
    splitter.push(Buffer.from('aaaaaaa€€€\n'));
    expect(lines).toEqual(['aaaaaaa', '€€', '€']);
    for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(8);
  });

  it('keeps any over-long input intact across pieces and within the limit, however it is chunked', () => {
    const words = fc.array(fc.constantFrom('a', 'é', '€', '🙂', ' '), { maxLength: 60 });
    fc.assert(
      fc.property(words, fc.array(fc.integer({ min: 0, max: 240 }), { maxLength: 10 }), (chars, cuts) => {
        const line = chars.join('');
        const bytes = Buffer.from(`${line}\n`);
        const { lines, splitter } = collect(8);
        pushInPieces(splitter, bytes, cuts.map((cut) => Math.min(cut, bytes.length)));
        expect(lines.join('')).toBe(line);
        for (const piece of lines) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(8);
      }),
    );
  });

  it('keeps a line of exactly maxLineBytes whole when it ends in CRLF', () => {
    const { lines, splitter } = collect(8);
    splitter.push(Buffer.from('12345678\r'));
    splitter.push(Buffer.from('\n'));
    expect(lines).toEqual(['12345678']);
  });

  it('emits the pending partial line on flush, and nothing when there is none', () => {
    const { lines, splitter } = collect();
    splitter.push(Buffer.from('done\nhalf'));
    splitter.flush();
    splitter.flush();
    expect(lines).toEqual(['done', 'half']);
    splitter.push(Buffer.from('next\n'));
    expect(lines).toEqual(['done', 'half', 'next']);
  });

  it('copies the partial tail, so the chunk it came from may be reused or freed', () => {
    const { lines, splitter } = collect();
    const chunk = Buffer.from('complete\npartial');
    splitter.push(chunk);
    chunk.fill(0x78);
    splitter.push(Buffer.from('\n'));
    expect(lines).toEqual(['complete', 'partial']);
  });

  it('rejects a maxLineBytes too small to hold one character', () => {
    expect(() => new LineSplitter(() => undefined, 3)).toThrow(RangeError);
  });
});
