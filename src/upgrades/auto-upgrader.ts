/**
 * `upgrade = { policy = "auto", interval = "1h" }`: each such appliance is checked on its own
 * interval, and upgrades run one at a time across the agent, so a bad release never takes
 * several appliances down at once. A tag that was rolled back is not tried again; a newer one is.
 * Only a running appliance is upgraded (as watchtower does): one an operator stopped, perhaps to
 * pin it to an older tag by hand, is left as it is until it runs again.
 */
import { capabilitiesOf } from '../model/appliance-type.js';
import type { Appliance } from '../appliance/appliance.js';
import { errorMessage } from '../common/errors.js';
import type { Upgrader } from './upgrader.js';

interface Tracked {
  appliance: Appliance;
  interval_ms: number;
  timer: NodeJS.Timeout;
}

export class AutoUpgrader {
  private readonly tracked = new Map<string, Tracked>();
  /** `ref tag` of every upgrade that rolled back. */
  private readonly refused = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly upgrader: Upgrader,
    private readonly warn: (line: string) => void,
  ) {}

  /** Follows the appliances there are now: arms new intervals, drops the ones gone. */
  sync(appliances: Appliance[]): void {
    const wanted = new Map<string, { appliance: Appliance; interval_ms: number }>();
    for (const appliance of appliances) {
      const upgrade = appliance.definition.upgrade;
      if (capabilitiesOf(appliance.definition.type).upgrades && upgrade?.policy === 'auto') wanted.set(appliance.ref, { appliance, interval_ms: upgrade.interval_ms });
    }
    for (const [ref, entry] of this.tracked) {
      if (wanted.get(ref)?.interval_ms === entry.interval_ms) continue;
      clearInterval(entry.timer);
      this.tracked.delete(ref);
    }
    for (const [ref, { appliance, interval_ms }] of wanted) {
      const entry = this.tracked.get(ref);
      if (entry) {
        entry.appliance = appliance;
        continue;
      }
      const timer = setInterval(() => this.enqueue(ref), interval_ms);
      timer.unref();
      this.tracked.set(ref, { appliance, interval_ms, timer });
    }
  }

  stop(): void {
    for (const entry of this.tracked.values()) clearInterval(entry.timer);
    this.tracked.clear();
  }

  private enqueue(ref: string): void {
    this.queue = this.queue.then(() => this.checkAndUpgrade(ref));
  }

  private async checkAndUpgrade(ref: string): Promise<void> {
    const appliance = this.tracked.get(ref)?.appliance;
    if (!appliance || appliance.desired !== 'running' || (appliance.state !== 'running' && appliance.state !== 'alive')) return;
    try {
      const { current, available } = await this.upgrader.check(ref);
      if (available === current || this.refused.has(`${ref} ${available}`)) return;
      const result = await this.upgrader.upgrade(ref, available);
      if (result.outcome === 'rolled-back') this.refused.add(`${ref} ${available}`);
    } catch (err) {
      this.warn(`auto upgrade of ${ref}: ${errorMessage(err)}`);
    }
  }
}
