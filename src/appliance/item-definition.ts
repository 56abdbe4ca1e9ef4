/** From a loaded config item to the definition an appliance keeps, and what counts as a change. */
import type { LoadedItem } from '../config/appliance-file.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { VersionSource } from '../model/appliance-version.js';
import type { PersistedAppliance } from '../model/persisted-appliance.js';
import { definitionHash } from '../store/version-history.js';

export function definitionOf(item: LoadedItem, ref: string): ApplianceDefinition {
  // Items made through the API come from no file.
  return { ...item.opts, name: item.spec.name, options: item.spec.options, ref, ...(item.file ? { file: item.file } : {}) };
}

export function sourceOf(item: LoadedItem): VersionSource {
  return item.file ? { kind: 'file', file: item.file, line: item.line } : { kind: 'api' };
}

/** Two definitions that differ only in where they were read from run the same way. */
export function sameBehaviour(a: ApplianceDefinition, b: ApplianceDefinition): boolean {
  return definitionHash(a) === definitionHash(b);
}

/**
 * A new definition that names no pinned image keeps the old pin while it asks for the same
 * image the same way: editing an appliance's env must not upgrade its image.
 */
export function keptPin(old: ApplianceDefinition, next: ApplianceDefinition): ApplianceDefinition {
  const same = old.image === next.image && old.tag === next.tag && old.options.vsn === next.options.vsn;
  if (!same || next.image_tag !== undefined || old.image_tag === undefined) return next;
  return { ...next, image_tag: old.image_tag, ...(old.image_digest !== undefined && { image_digest: old.image_digest }) };
}

/** The record of an appliance just made, at version `version` of its history. */
export function freshRecord(def: ApplianceDefinition, version: number, desired: 'running' | 'stopped'): PersistedAppliance {
  return { definition: def, desired, starts: 0, restarts: 0, last_exit: null, version, running_version: null };
}
