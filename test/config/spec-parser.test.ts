import { describe, expect, it } from 'vitest';
import { formatSpec, parseSpec } from '../../src/config/spec-parser.js';

describe('parseSpec', () => {
  it('reads a bare name with no options', () => {
    expect(parseSpec('web')).toEqual({ name: 'web', options: {} });
  });

  it('reads options after #', () => {
    expect(parseSpec('web#vsn:~>2.0')).toEqual({ name: 'web', options: { vsn: '~>2.0' } });
    expect(parseSpec('web#vsn:~>2.0,zone:eu')).toEqual({ name: 'web', options: { vsn: '~>2.0', zone: 'eu' } });
  });

  it('keeps colons after the first one in the value', () => {
    expect(parseSpec('cache#image:redis:7')).toEqual({ name: 'cache', options: { image: 'redis:7' } });
  });

  it('allows an empty value', () => {
    expect(parseSpec('web#flag:')).toEqual({ name: 'web', options: { flag: '' } });
  });

  it('accepts names with digits, dots, dashes and underscores up to 64 characters', () => {
    expect(parseSpec('0web_1.2-x').name).toBe('0web_1.2-x');
    expect(parseSpec('a'.repeat(64)).name).toHaveLength(64);
  });

  it('keeps an option named __proto__ as an ordinary option', () => {
    const spec = parseSpec('web#__proto__:x');
    expect(Object.keys(spec.options)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(spec.options)).toBe(Object.prototype);
  });

  it.each([
    ['', 'invalid appliance spec "": missing name'],
    ['#vsn:1', 'invalid appliance spec "#vsn:1": missing name'],
    ['-web', 'invalid appliance name "-web": use letters, digits'],
    ['we b', 'invalid appliance name "we b"'],
    ['web/1', 'invalid appliance name "web/1"'],
    ['a'.repeat(65), 'longer than 64 characters'],
    ['4b00e52a5764', 'invalid appliance name "4b00e52a5764": 12 hex digits read as a ref'],
    ['web#', `invalid appliance spec "web#": no options after '#'`],
    ['web#vsn', 'invalid appliance spec "web#vsn": option "vsn" is not key:value'],
    ['web#:1', 'invalid appliance spec "web#:1": option ":1" has an empty key'],
    ['web#a:1,a:2', 'invalid appliance spec "web#a:1,a:2": option "a" given twice'],
    ['web#a:1,', 'invalid appliance spec "web#a:1,": empty option'],
    ['web#a:1,,b:2', 'empty option'],
  ])('refuses %j', (text, message) => {
    expect(() => parseSpec(text)).toThrow(message);
  });
});

describe('formatSpec', () => {
  it('writes a name without options as the bare name', () => {
    expect(formatSpec({ name: 'web', options: {} })).toBe('web');
  });

  it('writes options in the given order', () => {
    expect(formatSpec({ name: 'web', options: { zone: 'eu', vsn: '~>2.0' } })).toBe('web#zone:eu,vsn:~>2.0');
  });

  it('is the inverse of parseSpec', () => {
    for (const text of ['web', 'web#vsn:~>2.0', 'web#vsn:~>2.0,zone:eu', 'cache#image:redis:7']) {
      expect(formatSpec(parseSpec(text))).toBe(text);
    }
  });
});
