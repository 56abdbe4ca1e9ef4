import { isHosted } from '../model/cluster.js';
import { ApplianceActionCommand, applianceIds } from '../cli/appliance-action-command.js';

export class Remove extends ApplianceActionCommand {
  static override summary = 'Stop appliances and forget them.';
  static override strict = false;
  static override args = applianceIds;

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Remove);
    await this.forEachAppliance(flags, argv, async (client, id) => {
      const removed = await client.remove(id);
      return { name: removed.name, state: 'removed', ...(isHosted(removed) && { host: removed.host }) };
    });
  }
}
