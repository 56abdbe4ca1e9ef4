import { isTable } from './is-table.js';

/**
 * A file's `_` table under one item: tables merge key by key at every depth, anything else
 * (strings, arrays) is taken from the item when it has it.
 */
export function mergeDefaults(defaults: Record<string, unknown>, item: Record<string, unknown>): Record<string, unknown> {
  const merged = new Map<string, unknown>(Object.entries(defaults));
  for (const [key, value] of Object.entries(item)) {
    const inherited = merged.get(key);
    merged.set(key, isTable(inherited) && isTable(value) ? mergeDefaults(inherited, value) : value);
  }
  return Object.fromEntries(merged);
}
