/**
 * What another host asks of this one's appliances, carried out as this host's own API would
 * (the same manager calls, the same validation of a create), and answered with the appliance's
 * status as this host publishes it.
 */
import type { ApplianceService } from '../appliance/appliance-service.js';
import type { ItemDefaults } from '../config/item-validator.js';
import { publishedOf, type ApplianceStatus, type PublishedStatus } from '../model/appliance-status.js';
import type { HostAction } from '../model/cluster.js';
import { createdItem } from './create-request.js';

export function hostActions(manager: ApplianceService, defaults: ItemDefaults): (action: HostAction) => Promise<PublishedStatus> {
  const now = (appliance: { ref: string }): ApplianceStatus => manager.status([appliance.ref])[0]!;
  const carryOut = async (action: HostAction): Promise<ApplianceStatus> => {
    switch (action.action) {
      case 'start': return now(await manager.start(action.id));
      case 'stop': return now(await manager.stop(action.id, action.kill));
      case 'restart': return now(await manager.restart(action.id));
      case 'remove': return manager.remove(action.id);
      case 'create': return now(await manager.create(createdItem(action.spec, action.item, defaults), action.start));
    }
  };
  return async (action) => publishedOf(await carryOut(action), new Date().toISOString());
}
