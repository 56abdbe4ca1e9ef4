/**
 * The versions of one appliance, oldest first, bounded: past the limit the oldest go, except
 * the one that runs (an operator must always be able to see and diff what is running).
 */
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { SpewError } from '../common/errors.js';
import { contentHash } from '../common/stable-json.js';
import type { ApplianceVersion, RawItem, VersionSource } from '../model/appliance-version.js';

/** What identifies a definition's content: where it was read from is not part of it. */
export function definitionHash(def: ApplianceDefinition): string {
  return contentHash({ ...def, file: undefined }, 16);
}

export class VersionHistory {
  constructor(
    readonly ref: string,
    private entries: ApplianceVersion[],
  ) {}

  get versions(): readonly ApplianceVersion[] {
    return this.entries;
  }

  get latest(): ApplianceVersion {
    const last = this.entries.at(-1);
    if (!last) throw new Error(`appliance ${this.ref} has no version`);
    return last;
  }

  get(version: number): ApplianceVersion {
    const found = this.entries.find((v) => v.version === version);
    if (!found) {
      const kept = this.entries.map((v) => v.version);
      throw new SpewError('VERSION_NOT_FOUND', `version ${version} is not in the history (kept: ${kept.join(', ') || 'none'})`);
    }
    return found;
  }

  /** Records a new version; the oldest beyond `limit` go, but never `running`. */
  add(definition: ApplianceDefinition, raw: RawItem, source: VersionSource, time: Date, limit: number, running: number | null): ApplianceVersion {
    const version: ApplianceVersion = {
      version: (this.entries.at(-1)?.version ?? 0) + 1,
      time: time.toISOString(),
      source,
      hash: definitionHash(definition),
      definition,
      raw,
    };
    this.entries = [...this.entries, version];
    this.retain(limit, running);
    return version;
  }

  /** Drops versions newer than `version`: written before a crash, never committed to the state. */
  truncateAfter(version: number): boolean {
    const kept = this.entries.filter((v) => v.version <= version);
    const changed = kept.length !== this.entries.length;
    this.entries = kept;
    return changed;
  }

  /** Keeps the newest `limit` versions, and `running` beside them. */
  retain(limit: number, running: number | null): void {
    let excess = this.entries.length - limit;
    if (excess <= 0) return;
    this.entries = this.entries.filter((v) => {
      if (excess <= 0 || v.version === running || v === this.entries.at(-1)) return true;
      excess -= 1;
      return false;
    });
  }
}
