import { describe, expect, it } from 'vitest';
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';
import { definitionHash, VersionHistory } from '../../src/store/version-history.js';

const raw = { item: { command: 'x' }, defaults: {} };
const def = (command: string, file?: string) => ({ name: 'web', ref: 'r1', command, ...(file ? { file } : {}) }) as unknown as ApplianceDefinition;
const at = new Date('2026-11-22T10:00:00Z');

describe('VersionHistory', () => {
  it('numbers versions from 1 up and hashes their content, not where it was read from', () => {
    const h = new VersionHistory('r1', []);
    const one = h.add(def('a', 'x.toml'), raw, { kind: 'api' }, at, 50, null);
    const two = h.add(def('a', 'y.toml'), raw, { kind: 'api' }, at, 50, null);
    expect([one.version, two.version]).toEqual([1, 2]);
    expect(one.hash).toBe(two.hash);
    expect(definitionHash(def('b'))).not.toBe(one.hash);
    expect(h.latest).toBe(two);
    expect(h.get(1)).toBe(one);
    expect(() => h.get(9)).toThrow(/version 9 is not in the history \(kept: 1, 2\)/);
  });

  it('keeps the last `limit` versions, and always the running one', () => {
    const h = new VersionHistory('r1', []);
    for (let i = 1; i <= 5; i++) h.add(def(String(i)), raw, { kind: 'api' }, at, 3, 1);
    expect(h.versions.map((v) => v.version)).toEqual([1, 4, 5]);
    h.add(def('6'), raw, { kind: 'api' }, at, 3, null);
    expect(h.versions.map((v) => v.version)).toEqual([4, 5, 6]);
  });

  it('drops versions the state never committed', () => {
    const h = new VersionHistory('r1', []);
    for (let i = 1; i <= 3; i++) h.add(def(String(i)), raw, { kind: 'api' }, at, 50, null);
    expect(h.truncateAfter(2)).toBe(true);
    expect(h.latest.version).toBe(2);
    expect(h.add(def('x'), raw, { kind: 'api' }, at, 50, null).version).toBe(3);
  });
});
