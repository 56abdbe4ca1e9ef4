/**
 * The `vsn` spec option: a version constraint resolved against an image's tags.
 *
 * Grammar: comparators separated by spaces or commas, all of which must hold (`>=1.2 <2`,
 * `>= 1.2, < 2`). A comparator is an operator and a version of one to three numbers:
 *
 *   ~>2.0     pessimistic: >= 2.0.0 and < 3.0.0 (the last given number may grow)
 *   ~>2.0.1   >= 2.0.1 and < 2.1.0
 *   ~>2       >= 2.0.0 and < 3.0.0
 *   >=  >  <=  <  =   compare; missing numbers are zeros (`<2` is `<2.0.0`, `>1` admits 1.0.1)
 *   2.1.0     no operator means `=`
 *
 * These are RubyGems' meanings, where `~>` comes from. A prerelease tag (`2.1.0-rc.1`) is a
 * candidate only when a comparator names a prerelease of the same MAJOR.MINOR.PATCH, as npm
 * does: `~>2.0` must not move an appliance onto a release candidate.
 */
import { ImageError } from './image-error.js';
import { compareVersions, parseVersion, type Version } from './version.js';

type Operator = '~>' | '>=' | '>' | '<=' | '<' | '=';

interface Comparator {
  op: Exclude<Operator, '~>'>;
  version: Version;
}

const TOKEN = /(~>|>=|<=|>|<|=)?\s*([^\s,<>=~]+)?/y;
const PARTIAL = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export class VersionConstraint {
  private constructor(
    /** As written, for messages. */
    readonly text: string,
    private readonly comparators: readonly Comparator[],
  ) {}

  /** Throws `INVALID_VERSION_CONSTRAINT`, naming the part that does not parse. */
  static parse(text: string): VersionConstraint {
    const comparators: Comparator[] = [];
    let pos = skipSeparators(text, 0);
    if (pos === text.length) throw invalid(text, 'it is empty');
    while (pos < text.length) {
      TOKEN.lastIndex = pos;
      const m = TOKEN.exec(text) as RegExpExecArray;
      const op = (m[1] ?? '=') as Operator;
      const raw = m[2];
      if (raw === undefined) {
        const after = m[1] === undefined ? `at "${text.slice(pos)}"` : `after "${m[1]}"`;
        throw invalid(text, `expected a version ${after}`);
      }
      comparators.push(...expand(text, op, raw));
      pos = skipSeparators(text, TOKEN.lastIndex);
    }
    return new VersionConstraint(text, comparators);
  }

  /** Whether the tag names a version this constraint admits; non-semver tags never do. */
  matches(tag: string): boolean {
    const version = parseVersion(tag);
    return version !== undefined && this.admits(version);
  }

  admits(version: Version): boolean {
    if (version.prerelease.length > 0 && !this.comparators.some((c) => sameRelease(c.version, version))) {
      return false;
    }
    return this.comparators.every((c) => holds(c, version));
  }

  /**
   * The highest tag the constraint admits, or undefined. Tags of equal precedence (`1.0.0`,
   * `v1.0.0`, `1.0.0+b7`) are told apart by their text, so the answer does not depend on the
   * order in which a registry lists them.
   */
  resolve(tags: Iterable<string>): string | undefined {
    let best: { tag: string; version: Version } | undefined;
    for (const tag of tags) {
      const version = parseVersion(tag);
      if (!version || !this.admits(version)) continue;
      const order = best ? compareVersions(version, best.version) : 1;
      if (order > 0 || (order === 0 && best && tag > best.tag)) best = { tag, version };
    }
    return best?.tag;
  }

  toString(): string {
    return this.text;
  }
}

/** The highest of `tags` that `constraint` admits; throws on a constraint that does not parse. */
export function resolve(constraint: string | VersionConstraint, tags: Iterable<string>): string | undefined {
  const parsed = typeof constraint === 'string' ? VersionConstraint.parse(constraint) : constraint;
  return parsed.resolve(tags);
}

function expand(text: string, op: Operator, raw: string): Comparator[] {
  const m = PARTIAL.exec(raw);
  if (!m) throw invalid(text, `"${raw}" is not a version (expected numbers like 2, 2.0 or 2.0.1)`);
  const given = [m[1], m[2], m[3]].filter((n): n is string => n !== undefined).map(Number);
  if (!given.every(Number.isSafeInteger)) throw invalid(text, `"${raw}" has a number too large`);
  const [major = 0, minor = 0, patch = 0] = given;
  const version: Version = { major, minor, patch, prerelease: m[4]?.split('.') ?? [] };
  if (version.prerelease.length > 0 && given.length < 3) {
    throw invalid(text, `"${raw}" has a prerelease, which needs all three numbers`);
  }
  if (op !== '~>') return [{ op, version }];
  return [
    { op: '>=', version },
    { op: '<', version: pessimisticBound(given) },
  ];
}

/** `~>` lets the last given number grow: drop it and bump the one before (`~>2` is `<3`). */
function pessimisticBound(given: number[]): Version {
  const kept = given.length > 1 ? given.slice(0, -1) : given.slice();
  kept[kept.length - 1] = (kept[kept.length - 1] as number) + 1;
  const [major = 0, minor = 0, patch = 0] = kept;
  return { major, minor, patch, prerelease: [] };
}

function holds(c: Comparator, v: Version): boolean {
  const order = compareVersions(v, c.version);
  switch (c.op) {
    case '=':
      return order === 0;
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
    case '<=':
      return order <= 0;
    case '<':
      return order < 0;
  }
}

function sameRelease(bound: Version, v: Version): boolean {
  return (
    bound.prerelease.length > 0 &&
    bound.major === v.major &&
    bound.minor === v.minor &&
    bound.patch === v.patch
  );
}

function skipSeparators(text: string, pos: number): number {
  while (pos < text.length && /[\s,]/.test(text[pos] as string)) pos++;
  return pos;
}

function invalid(text: string, why: string): ImageError {
  return new ImageError('INVALID_VERSION_CONSTRAINT', `invalid version constraint "${text}": ${why}`);
}
