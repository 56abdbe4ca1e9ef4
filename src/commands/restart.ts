import { ApplianceActionCommand, allFlag, applianceIds } from '../cli/appliance-action-command.js';

export class Restart extends ApplianceActionCommand {
  static override summary = 'Stop appliances, then start them again.';
  static override strict = false;
  static override args = applianceIds;
  static override flags = { all: allFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Restart);
    await this.forEachAppliance(flags, argv, (client, id) => client.restart(id), { showPulls: true });
  }
}
