/**
 * Semantic versions as image tags carry them: `MAJOR.MINOR.PATCH`, an optional `-prerelease`
 * and `+build`, and an optional leading `v` (`v2.0.1`). Ordering follows semver 2.0.0 §11:
 * numbers compare numerically, a prerelease sorts before its release, prerelease identifiers
 * compare one by one (numeric below alphanumeric), and build metadata is ignored.
 *
 * A tag with fewer than three numbers (`2.0`, `2`) is not a version here: registries use such
 * tags as moving aliases of the latest `2.0.x`, and resolving to one would hide an upgrade
 * behind a tag that never changes.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated identifiers; empty for a release. */
  prerelease: readonly string[];
}

const NUMERIC = '0|[1-9]\\d*';
const PRE_IDENT = `(?:${NUMERIC}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const VERSION = new RegExp(
  `^v?(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})` +
    `(?:-(${PRE_IDENT}(?:\\.${PRE_IDENT})*))?` +
    `(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);

/** The version a tag names, or undefined for a tag that is no semver (`latest`, `2.0`). */
export function parseVersion(tag: string): Version | undefined {
  const m = VERSION.exec(tag);
  if (!m) return undefined;
  const [major, minor, patch] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  // Beyond 2^53 numbers stop comparing exactly; no real tag is that large.
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  return { major, minor, patch, prerelease: m[4] === undefined ? [] : m[4].split('.') };
}

/** Negative, zero or positive as `a` sorts before, with, or after `b` by semver precedence. */
export function compareVersions(a: Version, b: Version): number {
  return (
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  // A release outranks any of its prereleases.
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareIdentifier(a[i] as string, b[i] as string);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function compareIdentifier(a: string, b: string): number {
  const aNum = /^\d+$/.test(a);
  const bNum = /^\d+$/.test(b);
  if (aNum && bNum) {
    // Compared as digit strings, so identifiers past 2^53 still order right.
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  }
  if (aNum !== bNum) return aNum ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function formatVersion(v: Version): string {
  const base = `${v.major}.${v.minor}.${v.patch}`;
  return v.prerelease.length ? `${base}-${v.prerelease.join('.')}` : base;
}
