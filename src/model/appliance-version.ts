/**
 * One immutable version of an appliance's definition: what it was, where it came from, and the
 * table it was read from (so that `spew explain` can say where each setting came from and
 * `spew export` can write it back).
 */
import type { ApplianceDefinition } from './appliance-definition.js';

export type VersionSource =
  /** A config file: at first boot or through `spew apply`. */
  | { kind: 'file'; file: string; line: number }
  /** `spew run` / `spew create`, or any other API request that made it. */
  | { kind: 'api' }
  /** Its `vsn` constraint was resolved to a tag (and digest) at its first start. */
  | { kind: 'resolve'; tag: string }
  | { kind: 'upgrade'; from: string | null; to: string }
  | { kind: 'rollback'; to_version: number }
  /** The state named a version its history had lost (a history file lost or damaged). */
  | { kind: 'recovered' };

/** The item as written, before validation: its own keys, and the file's `_` defaults under it. */
export interface RawItem {
  item: Record<string, unknown>;
  defaults: Record<string, unknown>;
}

export interface ApplianceVersion {
  /** Grows by one with every change, from 1; never reused. */
  version: number;
  time: string;
  source: VersionSource;
  /** A hash of `definition`: equal hashes, equal definitions. */
  hash: string;
  definition: ApplianceDefinition;
  raw: RawItem;
}

export function describeSource(source: VersionSource): string {
  switch (source.kind) {
    case 'file':
      return `${source.file}:${source.line}`;
    case 'api':
      return 'API';
    case 'resolve':
      return `vsn resolved to ${source.tag}`;
    case 'upgrade':
      return `upgrade ${source.from ?? '-'} -> ${source.to}`;
    case 'rollback':
      return `rollback to v${source.to_version}`;
    case 'recovered':
      return 'recovered from the state file';
  }
}
