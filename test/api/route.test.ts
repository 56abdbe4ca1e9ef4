import { describe, expect, it } from 'vitest';
import { get, pathOf, patternOf, queryOf } from '../../src/api/route.js';
import { routes } from '../../src/api/routes.js';

describe('route paths', () => {
  it('fills each parameter in as one encoded segment', () => {
    const parts = get('/things/:id/parts/:n').json<unknown>();
    expect(pathOf(parts, { id: 'a b/c%', n: 'ü' })).toBe('/things/a%20b%2Fc%25/parts/%C3%BC');
    expect(pathOf(routes.stop, { id: 'web' })).toBe('/v1/appliances/web/stop');
    expect(pathOf(routes.agent, {})).toBe('/v1/agent');
  });

  it('matches the paths it fills in, giving the segments back still encoded, in order', () => {
    const parts = get('/things/:id/parts/:n').json<unknown>();
    const { regex, names } = patternOf(parts);
    expect(names).toEqual(['id', 'n']);
    expect(regex.exec(pathOf(parts, { id: 'a b/c%', n: '7' }))?.slice(1)).toEqual(['a%20b%2Fc%25', '7']);
    expect(regex.test('/things/x/parts')).toBe(false);
    expect(regex.test('/things/x/parts/7/more')).toBe(false);
  });

  it('writes a query: lists repeat their name, a set flag is 1, what is not given is left out', () => {
    expect(queryOf({ id: ['a', 'b c'], versions: true })).toBe('?id=a&id=b+c&versions=1');
    expect(queryOf({ tail: 0, follow: false })).toBe('?tail=0');
    expect(queryOf({ from: undefined, to: 3 })).toBe('?to=3');
    expect(queryOf({ id: [] })).toBe('');
    expect(queryOf()).toBe('');
  });
});

describe('the route table', () => {
  const table = Object.entries(routes);

  it('has versioned paths whose parameters the pattern syntax reads', () => {
    for (const [name, route] of table) {
      expect(route.path, name).toMatch(/^\/v1(\/([a-z]+|:[a-z]+))+$/);
    }
  });

  it('gives each method and path to one route only', () => {
    const keys = table.map(([, route]) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
