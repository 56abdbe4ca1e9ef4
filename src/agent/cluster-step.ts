/**
 * The boot step that opens this agent's cluster membership, when the instance config has a
 * `[cluster]` table. The cluster code (and the etcd client under it) is imported here, by a
 * dynamic import, and only then: a single host never loads it.
 *
 * It is taken before the manager's step so that it is undone after it: an agent that stops
 * publishes its appliances' last states, then leaves. It joins once the manager is up
 * (`start`), and joining never holds the boot up: etcd may be down, and what runs on this host
 * runs whatever the cluster does; the membership keeps trying in the background.
 */
import type { Logger } from 'winston';
import type { ApplianceService } from '../appliance/appliance-service.js';
import type { NamedRef } from '../appliance/name-reservations.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { ActionHandler } from '../cluster/request-inbox.js';
import { SpewError } from '../common/errors.js';
import type { ClusterSettings } from '../config/cluster-settings.js';
import type { ApplianceStatus } from '../model/appliance-status.js';
import type { EventLog } from '../store/event-log.js';
import type { Step } from './boot-steps.js';

export interface ClusterStep extends Step<'stop' | 'handoff'> {
  cluster: ClusterNode | undefined;
  /**
   * Joins and publishes this manager's appliances, following their events; what other hosts
   * ask of them is carried out by `carryOut`.
   */
  start(manager: ApplianceService, events: EventLog, carryOut: ActionHandler): void;
  /** The set of appliances changed (created, removed, redefined): each is published anew, and their names held. */
  appliancesChanged(appliances: NamedRef[]): void;
}

export interface ClusterStepOptions {
  settings: ClusterSettings | undefined;
  stateDir: string;
  version: string;
  logger: Logger;
}

export async function openCluster(opts: ClusterStepOptions): Promise<ClusterStep> {
  const { settings, logger } = opts;
  if (!settings) return { cluster: undefined, start: () => undefined, appliancesChanged: () => undefined, dispose: () => undefined };
  const { ClusterNode } = await import('../cluster/cluster-node.js');
  const cluster = await ClusterNode.open({
    settings,
    stateDir: opts.stateDir,
    version: opts.version,
    log: (level, message) => logger.log(level, message),
  });
  let unsubscribe = (): void => undefined;
  let all = (): string[] => [];
  return {
    cluster,
    start: (manager, events, carryOut) => {
      all = () => manager.all().map((a) => a.ref);
      unsubscribe = events.subscribe((record) => {
        cluster.changed(record.ref);
        cluster.recorded(record);
      });
      cluster.start({ refs: all, status: (ref) => statusOf(manager, ref) }, carryOut);
    },
    appliancesChanged: (appliances) => {
      for (const { ref } of appliances) cluster.changed(ref);
      cluster.names.sync(appliances);
    },
    dispose: async (how) => {
      unsubscribe();
      await cluster.close(how === 'stop');
    },
  };
}

/** The appliance's status now; undefined once it is removed. */
function statusOf(manager: ApplianceService, ref: string): ApplianceStatus | undefined {
  try {
    return manager.status([ref])[0];
  } catch (err) {
    if (err instanceof SpewError && err.code === 'APPLIANCE_NOT_FOUND') return undefined;
    throw err;
  }
}
