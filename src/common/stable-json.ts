/**
 * JSON with object keys sorted at every depth (undefined values left out), so equal content
 * always serialises, and hashes, the same whatever order it was built in.
 */
import { createHash } from 'node:crypto';

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The first `length` hex digits of the SHA-256 of `value`'s stable JSON. */
export function contentHash(value: unknown, length = 12): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, length);
}
