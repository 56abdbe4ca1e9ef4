/**
 * Plain values (what a TOML file read into: strings, numbers, booleans, arrays, tables) written
 * back as TOML, deterministically: table keys sorted, nested tables inline. Reading the output
 * gives the same values back.
 */
import { isTable } from './is-table.js';

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

export function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : JSON.stringify(key);
}

export function tomlValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (isTable(value)) {
    const entries = sortedEntries(value);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`).join(', ')} }`;
  }
  throw new Error(`cannot write ${typeof value} as TOML`);
}

/** `[header]` and a `key = value` line per entry, keys sorted. */
export function tomlTable(header: string, table: Record<string, unknown>): string {
  const lines = sortedEntries(table).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`);
  return [`[${tomlKey(header)}]`, ...lines, ''].join('\n');
}

function sortedEntries(table: Record<string, unknown>): [string, unknown][] {
  return Object.entries(table).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
