import { describe, expect, it } from 'vitest';
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';
import { diffDefinitions } from '../../src/versions/definition-diff.js';

const base = {
  name: 'web', ref: 'r', command: 'a', env: { A: '1', B: '2' }, watchers: [{ type: 'http', url: 'http://x/' }], file: 'one.toml',
} as unknown as ApplianceDefinition;

describe('diffDefinitions', () => {
  it('names each changed leaf by its path, and ignores where the definition was read from', () => {
    const next = { ...base, command: 'b', env: { A: '1', C: '3' }, watchers: [{ type: 'http', url: 'http://y/' }], file: 'two.toml' } as unknown as ApplianceDefinition;
    expect(diffDefinitions(base, next)).toEqual([
      { kind: 'changed', path: 'command', before: 'a', after: 'b' },
      { kind: 'removed', path: 'env.B', before: '2' },
      { kind: 'added', path: 'env.C', after: '3' },
      { kind: 'changed', path: 'watchers[0].url', before: 'http://x/', after: 'http://y/' },
    ]);
    expect(diffDefinitions(base, { ...base, file: 'elsewhere.toml' })).toEqual([]);
  });
});
