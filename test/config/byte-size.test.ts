import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/config/byte-size.js';

describe('parseByteSize', () => {
  it.each([
    ['10MB', 10 * 1024 ** 2],
    ['512KB', 512 * 1024],
    ['512kb', 512 * 1024],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['10M', 10 * 1024 ** 2],
    ['10 MB', 10 * 1024 ** 2],
    ['100B', 100],
    ['100', 100],
  ])('reads %j as %i bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it('takes a number as bytes', () => {
    expect(parseByteSize(4096)).toBe(4096);
  });

  it.each(['', 'MB', '1TB', 'ten', '-1KB', '0', '0.5'])('refuses %j', (text) => {
    expect(() => parseByteSize(text)).toThrow(`invalid size ${JSON.stringify(text)}`);
  });

  it('refuses zero, negative and non-finite numbers', () => {
    for (const n of [0, -1, Infinity, Number.NaN]) expect(() => parseByteSize(n)).toThrow(/^invalid size/);
  });
});
