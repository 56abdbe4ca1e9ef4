import { ApplianceActionCommand, allFlag, applianceIds } from '../cli/appliance-action-command.js';

export class Start extends ApplianceActionCommand {
  static override summary = 'Start appliances.';
  static override strict = false;
  static override args = applianceIds;
  static override flags = { all: allFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Start);
    await this.forEachAppliance(flags, argv, (client, id) => client.start(id), { showPulls: true });
  }
}
