/**
 * What the rest of the agent may ask of its appliances: the API routes, version control and
 * upgrades depend on this, not on the manager that implements it, so that the way appliances
 * are kept (one host today, a cluster's share tomorrow) can change behind it.
 *
 * Every request resolves once the appliance has reached the state asked for; what is asked
 * for is saved before it is acted on.
 */
import type { PlanEntry } from '../api/wire.js';
import type { LoadedItem } from '../config/appliance-file.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { ApplianceStatus } from '../model/appliance-status.js';
import type { RawItem, VersionSource } from '../model/appliance-version.js';
import type { UpgradeEvent } from '../model/upgrade-event.js';
import type { VersionHistory } from '../store/version-history.js';
import type { Appliance } from './appliance.js';

/** How `apply` carries out an update of a running appliance. */
export interface ApplyOptions {
  prune: boolean;
  dryRun: boolean;
  /** Record the new definitions but leave running appliances on their old version. */
  noRestart?: boolean;
}

export interface ApplianceService {
  /** Every appliance, in no order. */
  all(): Appliance[];
  /** By ref or by name; APPLIANCE_NOT_FOUND otherwise. */
  get(id: string): Appliance;
  /** Of `ids`, or of every appliance by name when none is given. */
  status(ids: string[]): ApplianceStatus[];
  /** The agent's own troubles while they last (see StatusAnswer.warnings). */
  warnings(): string[];
  create(item: LoadedItem, start: boolean): Promise<Appliance>;
  start(id: string): Promise<Appliance>;
  stop(id: string, kill: boolean): Promise<Appliance>;
  /** Stops the run and starts a new one; it never rests `stopped` on the way. */
  restart(id: string): Promise<Appliance>;
  /** Stops the appliance, then forgets it; answers its last status. */
  remove(id: string): Promise<ApplianceStatus>;
  /** Works out what applying these items would do, and does it unless `dryRun`. */
  apply(items: LoadedItem[], options: ApplyOptions): Promise<PlanEntry[]>;
  /** The versions of an appliance, oldest first. */
  historyOf(id: string): VersionHistory;
  /** A new version of its definition, on disk before the state that names it; no restart. */
  redefine(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw?: RawItem): Promise<void>;
  /** A new version, and a restart onto it if the appliance should run (saved as pending first). */
  restartOnto(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw?: RawItem, noRestart?: boolean): Promise<void>;
  /** Into the event log, and the `upgrade` hooks for `upgrade` and `rollback`. */
  announce(appliance: Appliance, event: UpgradeEvent): void;
  /** Stops its run, leaving it marked to run. */
  stopRun(appliance: Appliance): Promise<void>;
  /** Starts it, with its restart budget full. */
  startRun(appliance: Appliance): void;
}
