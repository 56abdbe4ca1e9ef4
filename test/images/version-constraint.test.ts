import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolve, VersionConstraint } from '../../src/images/version-constraint.js';
import { compareVersions, parseVersion } from '../../src/images/version.js';

describe('parseVersion', () => {
  it.each([
    ['1.2.3', { major: 1, minor: 2, patch: 3, prerelease: [] }],
    ['v1.2.3', { major: 1, minor: 2, patch: 3, prerelease: [] }],
    ['0.0.0', { major: 0, minor: 0, patch: 0, prerelease: [] }],
    ['2.1.0-rc.1', { major: 2, minor: 1, patch: 0, prerelease: ['rc', '1'] }],
    ['2.1.0-rc.1+build.5', { major: 2, minor: 1, patch: 0, prerelease: ['rc', '1'] }],
    ['1.0.0+20260101', { major: 1, minor: 0, patch: 0, prerelease: [] }],
    ['1.0.0-0A.is.legal', { major: 1, minor: 0, patch: 0, prerelease: ['0A', 'is', 'legal'] }],
  ])('reads %j as a version', (tag, version) => {
    expect(parseVersion(tag)).toEqual(version);
  });

  it.each(['latest', 'stable', '2', '2.0', '1.2.3.4', '01.2.3', '1.02.3', '1.2.3-01', '1.2.3-', 'V1.2.3', '1.2.3-rc..1', 'vv1.2.3', '', '9007199254740993.0.0'])(
    'ignores %j, which is no full semver',
    (tag) => {
      expect(parseVersion(tag)).toBeUndefined();
    },
  );
});

describe('compareVersions', () => {
  it('orders versions by semver precedence, prereleases before their release', () => {
    const ordered = [
      '0.9.9',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '1.10.0',
      '2.0.0',
      '10.0.0',
    ];
    const shuffled = [...ordered].reverse();
    shuffled.sort((a, b) => compareVersions(parseVersion(a)!, parseVersion(b)!));
    expect(shuffled).toEqual(ordered);
  });

  it('ignores build metadata and the v prefix', () => {
    expect(compareVersions(parseVersion('v1.0.0+a')!, parseVersion('1.0.0+b')!)).toBe(0);
  });

  it('compares long numeric prerelease identifiers by value', () => {
    expect(compareVersions(parseVersion('1.0.0-99999999999999999999')!, parseVersion('1.0.0-100000000000000000000')!)).toBeLessThan(0);
  });
});

describe('VersionConstraint', () => {
  const cases: [string, string[], string[]][] = [
    ['~>2.0', ['2.0.0', '2.0.5', '2.1.0', '2.99.99'], ['1.9.9', '3.0.0', '3.0.0-rc.1', '2.1.0-rc.1']],
    ['~>2.0.1', ['2.0.1', '2.0.9'], ['2.0.0', '2.1.0', '3.0.0']],
    ['~>2', ['2.0.0', '2.5.1'], ['1.0.0', '3.0.0']],
    ['~> 1.2', ['1.2.0', '1.9.0'], ['1.1.9', '2.0.0']],
    ['2.1.0', ['2.1.0', 'v2.1.0', '2.1.0+build'], ['2.1.1', '2.0.9', '2.1.0-rc.1']],
    ['=2.1.0', ['2.1.0'], ['2.1.1']],
    ['=2.1', ['2.1.0'], ['2.1.1']],
    ['>=1.2 <2', ['1.2.0', '1.9.9'], ['1.1.9', '2.0.0', '2.0.0-rc.1']],
    ['>=1.2, <2', ['1.2.0'], ['2.0.0']],
    ['>= 1.2 < 2', ['1.5.0'], ['2.0.0']],
    ['>1', ['1.0.1', '2.0.0'], ['1.0.0', '0.9.0']],
    ['<=1.5', ['1.5.0', '0.1.0'], ['1.5.1']],
    ['<1.5.0', ['1.4.9'], ['1.5.0', '1.5.0-rc.1']],
    ['>=2.1.0-rc.1 <3', ['2.1.0-rc.1', '2.1.0-rc.2', '2.1.0', '2.5.0'], ['2.1.0-beta', '2.2.0-rc.1']],
    ['2.1.0-rc.1', ['2.1.0-rc.1'], ['2.1.0', '2.1.0-rc.2']],
    ['~>2.0.0-rc.1', ['2.0.0-rc.1', '2.0.0', '2.0.7'], ['2.0.0-beta', '2.1.0']],
    ['>2 <1', [], ['1.5.0', '0.5.0', '2.5.0']],
  ];

  it.each(cases)('%j admits %j and refuses %j', (text, yes, no) => {
    const c = VersionConstraint.parse(text);
    for (const tag of yes) expect(c.matches(tag), `${text} should admit ${tag}`).toBe(true);
    for (const tag of no) expect(c.matches(tag), `${text} should refuse ${tag}`).toBe(false);
  });

  it('never admits a tag that is no semver', () => {
    const c = VersionConstraint.parse('>=0');
    expect(c.matches('latest')).toBe(false);
    expect(c.matches('2.0')).toBe(false);
    expect(c.matches('0.0.1')).toBe(true);
  });

  it.each([
    ['', 'it is empty'],
    ['   ', 'it is empty'],
    ['~>', 'expected a version after "~>"'],
    ['>=1.2 <', 'expected a version after "<"'],
    ['latest', '"latest" is not a version'],
    ['~2.0', 'expected a version at "~2.0"'],
    ['^2.0', '"^2.0" is not a version'],
    ['1.2.3.4', '"1.2.3.4" is not a version'],
    ['>=1.x', '"1.x" is not a version'],
    ['>= =1', 'expected a version after ">="'],
    ['1 || 2', '"||" is not a version'],
    ['2.1-rc.1', 'needs all three numbers'],
    ['99999999999999999999', 'too large'],
  ])('refuses %j, saying %s', (text, why) => {
    expect(() => VersionConstraint.parse(text)).toThrow(why);
    try {
      VersionConstraint.parse(text);
    } catch (err) {
      expect(err).toMatchObject({ code: 'INVALID_VERSION_CONSTRAINT' });
      expect((err as Error).message).toContain(`invalid version constraint "${text}"`);
    }
  });
});

describe('resolve', () => {
  const tags = ['latest', '1.0.0', '1.1.0', '2.0.0', '2.1.0', '2.1.1-rc.1', '3.0.0-beta', 'stable', '2.0'];

  it.each([
    ['~>2.0', '2.1.0'],
    ['~>2.0.0', '2.0.0'],
    ['~>1.0', '1.1.0'],
    ['>=1.0 <2', '1.1.0'],
    ['1.0.0', '1.0.0'],
    ['>=1', '2.1.0'],
    ['>=2.1.1-rc.1', '2.1.1-rc.1'],
    ['~>4.0', undefined],
    ['<1', undefined],
  ])('resolves %j to %j', (constraint, tag) => {
    expect(resolve(constraint, tags)).toBe(tag);
  });

  it('gives the same answer whatever order the registry lists tags in', () => {
    expect(resolve('~>1.0', ['v1.0.0', '1.0.0'])).toBe(resolve('~>1.0', ['1.0.0', 'v1.0.0']));
    expect(resolve('~>1.0', ['1.0.0+b', '1.0.0+a'])).toBe('1.0.0+b');
  });

  it('throws on a constraint that does not parse', () => {
    expect(() => resolve('~>', tags)).toThrow(/invalid version constraint/);
  });
});

describe('resolve, as a property', () => {
  const num = fc.integer({ min: 0, max: 4 });
  const pre = fc.option(fc.constantFrom('alpha', 'beta', 'rc.1', 'rc.2', '1'), { nil: undefined });
  const tag = fc.oneof(
    fc.tuple(num, num, num, pre, fc.boolean()).map(
      ([a, b, c, p, v]) => `${v ? 'v' : ''}${a}.${b}.${c}${p === undefined ? '' : `-${p}`}`,
    ),
    fc.constantFrom('latest', 'stable', '2.0', '1'),
  );
  const partial = fc
    .tuple(num, fc.option(num, { nil: undefined }), fc.option(num, { nil: undefined }))
    .map(([a, b, c]) => (b === undefined ? `${a}` : c === undefined ? `${a}.${b}` : `${a}.${b}.${c}`));
  const full = fc.tuple(num, num, num, pre).map(([a, b, c, p]) => `${a}.${b}.${c}${p === undefined ? '' : `-${p}`}`);
  const comparator = fc.oneof(
    fc.tuple(fc.constantFrom('~>', '>=', '>', '<=', '<', '=', ''), partial).map(([op, v]) => `${op}${v}`),
    fc.tuple(fc.constantFrom('>=', '<', ''), full).map(([op, v]) => `${op}${v}`),
  );
  const constraint = fc.array(comparator, { minLength: 1, maxLength: 3 }).map((cs) => cs.join(' '));

  it('picks a tag that satisfies the constraint, with no higher satisfying tag left out', () => {
    fc.assert(
      fc.property(constraint, fc.array(tag, { maxLength: 12 }), (text, tags) => {
        const c = VersionConstraint.parse(text);
        const picked = c.resolve(tags);
        const satisfying = tags.filter((t) => c.matches(t));
        if (picked === undefined) {
          expect(satisfying).toEqual([]);
          return;
        }
        expect(c.matches(picked)).toBe(true);
        const pickedVersion = parseVersion(picked)!;
        for (const t of satisfying) {
          expect(compareVersions(parseVersion(t)!, pickedVersion)).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('is indifferent to the order of the tags', () => {
    fc.assert(
      fc.property(constraint, fc.array(tag, { maxLength: 12 }), (text, tags) => {
        expect(resolve(text, [...tags].reverse())).toBe(resolve(text, tags));
      }),
    );
  });

  it('admits exactly what the pessimistic operator means, checked against plain arithmetic', () => {
    fc.assert(
      fc.property(num, num, fc.option(num, { nil: undefined }), num, num, num, (a, b, c, x, y, z) => {
        const text = c === undefined ? `~>${a}.${b}` : `~>${a}.${b}.${c}`;
        const expected =
          c === undefined
            ? x === a && y >= b
            : x === a && y === b && z >= c;
        expect(VersionConstraint.parse(text).matches(`${x}.${y}.${z}`)).toBe(expected);
      }),
    );
  });
});
