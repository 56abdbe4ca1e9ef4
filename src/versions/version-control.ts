/**
 * What operators do with versions: read the history, compare two versions, go back to one,
 * export appliances to recreate them elsewhere, and see where each setting came from.
 */
import { capabilitiesOf } from '../model/appliance-type.js';
import type { DiffAnswer, HistoryAnswer } from '../api/wire.js';
import type { Appliance } from '../appliance/appliance.js';
import type { ApplianceService } from '../appliance/appliance-service.js';
import { SpewError } from '../common/errors.js';
import type { Upgrader } from '../upgrades/upgrader.js';
import { exportHistoryComments, exportTable } from './appliance-export.js';
import { diffDefinitions } from './definition-diff.js';
import { explain, type ExplainedSetting } from './explain.js';
import { describeSource, type ApplianceVersion } from '../model/appliance-version.js';

export type RollbackResult =
  | { outcome: 'rolled-back'; to: number; version: number }
  | { outcome: 'refused'; to: number; version: number; reason: string };

export class VersionControl {
  constructor(
    private readonly manager: ApplianceService,
    private readonly upgrader: Upgrader,
  ) {}

  history(id: string): HistoryAnswer {
    const appliance = this.manager.get(id);
    const history = this.manager.historyOf(appliance.ref);
    const running = appliance.status(Date.now()).running_version;
    return {
      name: appliance.name,
      ref: appliance.ref,
      latest: history.latest.version,
      running_version: running,
      versions: history.versions.map((v) => ({
        version: v.version, time: v.time, source: describeSource(v.source), hash: v.hash, running: v.version === running,
      })),
    };
  }

  /** From `from` (default: the running version if older than the latest, else the one before) to `to` (default: the latest). */
  diff(id: string, from?: number, to?: number): DiffAnswer {
    const appliance = this.manager.get(id);
    const history = this.manager.historyOf(appliance.ref);
    const b = to === undefined ? history.latest : history.get(to);
    const a = from === undefined ? this.defaultBase(appliance, b) : history.get(from);
    return { name: appliance.name, from: a.version, to: b.version, changes: diffDefinitions(a.definition, b.definition) };
  }

  async rollback(id: string, to?: number): Promise<RollbackResult> {
    const appliance = this.manager.get(id);
    const history = this.manager.historyOf(appliance.ref);
    const target = to === undefined ? this.previous(history.versions) : history.get(to);
    const source = { kind: 'rollback', to_version: target.version } as const;
    const def = { ...target.definition, ...(appliance.definition.file !== undefined ? { file: appliance.definition.file } : {}) };
    if (capabilitiesOf(appliance.definition.type).upgrades && capabilitiesOf(def.type).upgrades) {
      const result = await this.upgrader.replace(appliance, def, source, target.raw);
      return result.outcome === 'rolled-back'
        ? { outcome: 'refused', to: target.version, version: appliance.version, reason: result.reason }
        : { outcome: 'rolled-back', to: target.version, version: appliance.version };
    }
    await this.manager.restartOnto(appliance, def, source, target.raw);
    return { outcome: 'rolled-back', to: target.version, version: appliance.version };
  }

  export(ids: readonly string[], withVersions: boolean): string {
    const chosen = ids.length > 0 ? ids.map((id) => this.manager.get(id)) : [...this.manager.all()].sort((a, b) => a.name.localeCompare(b.name));
    return chosen
      .map((appliance) => {
        const versions = this.manager.historyOf(appliance.ref).versions;
        const earlier = withVersions ? exportHistoryComments(versions.slice(0, -1)) : '';
        return earlier + exportTable(versions.at(-1) as ApplianceVersion);
      })
      .join('\n');
  }

  explain(id: string): { name: string; version: number; settings: ExplainedSetting[] } {
    const appliance = this.manager.get(id);
    return { name: appliance.name, version: appliance.version, settings: explain(this.manager.historyOf(appliance.ref).versions) };
  }

  private defaultBase(appliance: Appliance, to: ApplianceVersion): ApplianceVersion {
    const history = this.manager.historyOf(appliance.ref);
    const running = appliance.status(Date.now()).running_version;
    if (running !== null && running < to.version && history.versions.some((v) => v.version === running)) return history.get(running);
    return this.previous(history.versions.filter((v) => v.version <= to.version));
  }

  private previous(versions: readonly ApplianceVersion[]): ApplianceVersion {
    const before = versions.at(-2);
    if (!before) throw new SpewError('VERSION_NOT_FOUND', 'there is no earlier version (see spew history)');
    return before;
  }
}
