/**
 * What `spew apply` would do, worked out without doing any of it: a pure function of the items
 * and of the definitions there are, so a dry run and a real run always agree.
 */
import type { PlanEntry } from '../api/wire.js';
import type { LoadedItem } from '../config/appliance-file.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { definitionOf, keptPin, sameBehaviour } from './item-definition.js';

export interface PlanStep {
  entry: PlanEntry;
  /** The item to create or update from; absent for a removal. */
  item?: LoadedItem;
}

/**
 * `current`: the definitions there are, by name. With `prune`, an appliance read from a file
 * that the items no longer name is removed; one made through the API never is (no file can
 * retire what no file made).
 */
export function planApply(items: LoadedItem[], current: ReadonlyMap<string, ApplianceDefinition>, prune: boolean): PlanStep[] {
  const plan: PlanStep[] = items.map((item) => {
    const existing = current.get(item.spec.name);
    const action = !existing
      ? 'create'
      : sameBehaviour(existing, keptPin(existing, definitionOf(item, existing.ref))) ? 'unchanged' : 'update';
    return { entry: { name: item.spec.name, ref: existing?.ref ?? null, action, file: item.file }, item };
  });
  if (!prune) return plan;
  const named = new Set(items.map((item) => item.spec.name));
  for (const def of current.values()) {
    if (named.has(def.name) || def.file === undefined) continue;
    plan.push({ entry: { name: def.name, ref: def.ref, action: 'remove', file: def.file } });
  }
  return plan;
}
