/**
 * What a new agent does with what an earlier one left, before it starts anything: runs of this
 * instance that no appliance accounts for are stopped (never a second copy beside an
 * unsupervised first), each appliance re-adopts its run, and a request the earlier agent had
 * saved but not finished (a restart, a removal) is carried on.
 */
import type { Logger } from 'winston';
import { errorMessage } from '../common/errors.js';
import type { ApplianceVersion } from '../model/appliance-version.js';
import type { PendingRequest } from '../model/persisted-appliance.js';
import type { FoundRun, Runner } from '../runners/runner.js';
import type { Appliance } from './appliance.js';
import type { ApplianceRegistry } from './appliance-registry.js';

/** The manager's part in finishing a request. */
export interface TakeoverHost {
  start(id: string): Promise<unknown>;
  remove(id: string): Promise<unknown>;
  stopRun(appliance: Appliance): Promise<void>;
  save(): Promise<void>;
  /** The version of the appliance's history with that number, while it is kept. */
  versionOf(appliance: Appliance, version: number): ApplianceVersion | undefined;
}

export class Takeover {
  constructor(
    private readonly runner: Runner,
    private readonly registry: ApplianceRegistry,
    private readonly host: TakeoverHost,
    private readonly logger: Logger,
    /** The instance's stop timeout, for runs of appliances the agent does not know. */
    private readonly stopTimeoutMs: number,
  ) {}

  /**
   * Runs of this instance that no appliance accounts for: their state was lost (a first boot
   * that finds any means it was), or they are what a dead run's process group left. Stopped,
   * loudly, before any appliance starts.
   */
  async stopStrays(found: FoundRun[], firstBoot: { statePath: string } | undefined): Promise<void> {
    const strays = found.filter((run) => run.leftover || !this.registry.withRef(run.ref));
    if (strays.length === 0) return;
    if (firstBoot && strays.some((run) => !run.leftover)) {
      this.logger.error(`state: neither ${firstBoot.statePath} nor its copy is there, yet this instance has runs up: its state was lost; they are stopped before the appliance files start anew`);
    }
    await Promise.all(strays.map(async (run) => {
      const known = this.registry.withRef(run.ref);
      const who = `${run.label} (appliance ${run.name ?? known?.name ?? 'unknown'}, ref ${run.ref})`;
      if (run.leftover) this.logger.warn(`${who}: the run it belonged to has ended: killing it`);
      else this.logger.error(`${who} belongs to this instance but to no appliance the agent has: stopping it`);
      await this.runner.stopStray(run, known?.definition.stop_signal ?? 'SIGTERM', known?.definition.stop_timeout_ms ?? this.stopTimeoutMs);
    }));
  }

  /** Re-adopts the appliance's run, and finishes the request it had begun. */
  async takeOver(appliance: Appliance): Promise<void> {
    const found = await this.runner.adopt(appliance.definition);
    if (found.note) this.logger.warn(`${appliance.name}: ${found.note}`);
    const pending = appliance.pending;
    if (found.kind === 'running') {
      appliance.adopt(found.handle);
      this.logger.info(`${appliance.name}: re-adopted pid ${found.handle.pid}`);
    }
    if (pending?.kind === 'remove') {
      this.finish(appliance, 'remove', () => this.host.remove(appliance.ref));
    } else if (pending?.kind === 'restart') {
      // A run that began after the request is the restart's own: only the rest is left to do.
      const restarted = found.kind === 'running' && found.handle.startedAt.getTime() > Date.parse(pending.asked_at);
      this.finish(appliance, 'restart', () => this.finishRestart(appliance, pending, restarted));
    } else if (found.kind === 'running') {
      if (appliance.desired === 'stopped') appliance.dispatch({ kind: 'stop-request', kill: false });
    } else if (found.kind === 'exited' && appliance.desired === 'running') {
      appliance.endedWhileAway(found.reason);
    } else if (appliance.desired === 'running') {
      appliance.dispatch({ kind: 'start', n: appliance.starts + 1 });
    }
  }

  /** Carries on with a request an earlier agent saved but did not live to finish. */
  private finish(appliance: Appliance, what: string, work: () => Promise<unknown>): void {
    this.logger.warn(`${appliance.name}: finishing the ${what} asked for before the last agent ended`);
    work().catch((err: unknown) => this.logger.error(`${appliance.name}: the ${what} asked for before the last agent ended failed: ${errorMessage(err)}`));
  }

  private async finishRestart(appliance: Appliance, pending: Extract<PendingRequest, { kind: 'restart' }>, restarted: boolean): Promise<void> {
    if (pending.version !== undefined && pending.version !== appliance.version) {
      const target = this.host.versionOf(appliance, pending.version);
      if (!restarted) await this.host.stopRun(appliance);
      if (target) appliance.redefine(target.definition, target.version);
    } else if (!restarted) {
      await this.host.stopRun(appliance);
    }
    appliance.pending = undefined;
    if (restarted) await this.host.save();
    else await this.host.start(appliance.ref);
  }
}
