/**
 * What changed between two definitions, field by field: nested tables and arrays are followed
 * down to their leaves (`restart.bindings.crash`, `watchers[0].url`), so a change reads as one
 * line, not as two whole documents.
 */
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { stableJson } from '../common/stable-json.js';

export type FieldChange =
  | { kind: 'added'; path: string; after: unknown }
  | { kind: 'removed'; path: string; before: unknown }
  | { kind: 'changed'; path: string; before: unknown; after: unknown };

export function diffDefinitions(before: ApplianceDefinition, after: ApplianceDefinition): FieldChange[] {
  const a = leaves(before);
  const b = leaves(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes: FieldChange[] = [];
  for (const path of paths) {
    const [x, y] = [a.get(path), b.get(path)];
    if (!a.has(path)) changes.push({ kind: 'added', path, after: y });
    else if (!b.has(path)) changes.push({ kind: 'removed', path, before: x });
    else if (stableJson(x) !== stableJson(y)) changes.push({ kind: 'changed', path, before: x, after: y });
  }
  return changes;
}

/** Leaf values by path; where the definition was read from is no part of what it is. */
function leaves(def: ApplianceDefinition): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value) && value.length > 0) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`));
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      for (const [key, item] of Object.entries(value)) if (item !== undefined) walk(item, path === '' ? key : `${path}.${key}`);
    } else {
      out.set(path, value);
    }
  };
  walk({ ...def, file: undefined }, '');
  return out;
}
