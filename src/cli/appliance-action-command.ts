/**
 * start, stop, restart and remove: the same action on each named appliance (or on all of them),
 * one `name: state` line per appliance.
 */
import { Args, Flags } from '@oclif/core';
import type { ApplianceState } from '../model/appliance-state.js';
import { SpewError } from '../common/errors.js';
import type { ApiClient } from '../client/api-client.js';
import type { SocketFlags } from '../client/locate-socket.js';
import { ClientCommand } from './client-command.js';
import { withPullProgress } from './pull-progress.js';
import { stateStyle } from './status-table.js';

export const allFlag = Flags.boolean({ char: 'a', description: 'Act on every appliance the agent has.' });

export interface ActionResult {
  name: string;
  state: ApplianceState | 'removed';
  /** The host that carried it out, when it is not this one. */
  host?: string;
}

/** Enough requests in flight to be quick with many appliances, few enough to keep the agent calm. */
const CONCURRENCY = 8;

/**
 * The arguments of every action command. Each subclass declares `strict = false` and these
 * itself: oclif's parse reads them from the class's own properties, not inherited ones.
 */
export const applianceIds = {
  id: Args.string({ description: 'Appliance name or ref; give as many as you like.' }),
};

export abstract class ApplianceActionCommand extends ClientCommand {

  protected async forEachAppliance(
    flags: SocketFlags & { all?: boolean },
    argv: unknown[],
    act: (client: ApiClient, id: string) => Promise<ActionResult>,
    /** Draw image pulls while it runs: the action may start containers. */
    { showPulls = false } = {},
  ): Promise<void> {
    const named = argv.map(String);
    if (flags.all && named.length > 0) this.error('give appliance names or --all, not both', { exit: 2 });
    if (!flags.all && named.length === 0) this.error('give at least one appliance name or ref, or --all', { exit: 2 });
    const client = await this.connect(flags);
    const ids = flags.all ? (await client.status()).map((a) => a.name) : named;
    const actAll = (): Promise<PromiseSettledResult<ActionResult>[]> => mapConcurrently(ids, (id) => act(client, id));
    const results = showPulls ? await withPullProgress(client, ids, actAll) : await actAll();
    for (const result of results) {
      if (result.status === 'fulfilled') {
        const { name, state, host } = result.value;
        this.log(`${name}: ${this.paint(state, stateStyle(state))}${host === undefined ? '' : ` (on ${host})`}`);
      } else if (result.reason instanceof SpewError) {
        this.reportError(result.reason);
      } else {
        throw result.reason;
      }
    }
  }
}

/** Results in input order, whatever order the requests finish in. */
async function mapConcurrently<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      results[i] = await fn(items[i] as T).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return results;
}
