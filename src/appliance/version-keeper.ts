/**
 * The version history of every appliance: kept in memory, appended to the history log before
 * the state that names a version is saved, and reconciled with the state at boot.
 */
import type { Clock } from '../common/clock.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { ApplianceVersion, RawItem, VersionSource } from '../model/appliance-version.js';
import type { PersistedAppliance } from '../model/persisted-appliance.js';
import { HistoryLog } from '../store/history-log.js';
import { definitionHash, VersionHistory } from '../store/version-history.js';

export class VersionKeeper {
  private readonly log: HistoryLog;
  private readonly histories = new Map<string, VersionHistory>();

  constructor(
    stateDir: string,
    private readonly limit: number,
    private readonly clock: Clock,
  ) {
    this.log = new HistoryLog(stateDir);
  }

  /** A first boot: whatever history there is was never committed by a state file (an earlier first boot cut short). */
  async startAfresh(): Promise<void> {
    await this.log.compact(new Map());
  }

  /** The histories of what the state file names, as it committed them; the log is rewritten to match. */
  async restore(saved: PersistedAppliance[]): Promise<void> {
    const versions = this.log.load();
    for (const entry of saved) {
      const history = this.committedHistory(entry, versions.get(entry.definition.ref) ?? []);
      history.retain(this.limit, entry.running_version);
      this.histories.set(entry.definition.ref, history);
    }
    await this.log.compact(new Map([...this.histories].map(([ref, history]) => [ref, history.versions])));
  }

  /** Records a new version of an appliance's definition; `written` resolves once it is on disk. */
  add(def: ApplianceDefinition, raw: RawItem, source: VersionSource, running: number | null): { version: ApplianceVersion; written: Promise<void> } {
    let history = this.histories.get(def.ref);
    if (!history) {
      history = new VersionHistory(def.ref, []);
      this.histories.set(def.ref, history);
    }
    const version = history.add(def, raw, source, new Date(this.clock.now()), this.limit, running);
    return { version, written: this.log.append(def.ref, version) };
  }

  /** The versions of the appliance with `ref`, oldest first. */
  of(ref: string): VersionHistory {
    const history = this.histories.get(ref);
    if (!history) throw new Error(`no history for ${ref}`);
    return history;
  }

  forget(ref: string): void {
    this.histories.delete(ref);
  }

  /**
   * An appliance's history as the state file committed it: versions newer than the state's were
   * written before a crash that kept the state from naming them. A history that is missing
   * (its file lost) restarts from the definition the state has.
   */
  private committedHistory(entry: PersistedAppliance, versions: ApplianceVersion[]): VersionHistory {
    const history = new VersionHistory(entry.definition.ref, versions);
    // A restart onto a newer version was asked for: that version was committed with the request.
    const onto = entry.pending?.kind === 'restart' ? entry.pending.version : undefined;
    history.truncateAfter(Math.max(entry.version, onto ?? 0));
    // A version the history lost cannot be restarted onto: the restart stays, onto what the state has.
    if (entry.pending?.kind === 'restart' && onto !== undefined && !history.versions.some((v) => v.version === onto)) {
      entry.pending = { kind: 'restart', asked_at: entry.pending.asked_at };
    }
    if (history.versions.some((v) => v.version === entry.version)) return history;
    return new VersionHistory(entry.definition.ref, [
      ...history.versions,
      {
        version: entry.version,
        time: new Date(this.clock.now()).toISOString(),
        source: { kind: 'recovered' },
        hash: definitionHash(entry.definition),
        definition: entry.definition,
        raw: { item: {}, defaults: {} },
      },
    ]);
  }
}
