import { Flags } from '@oclif/core';
import { ApplianceActionCommand, allFlag, applianceIds } from '../cli/appliance-action-command.js';

export class Stop extends ApplianceActionCommand {
  static override summary = 'Stop appliances: the stop signal, then SIGKILL after the stop timeout.';
  static override strict = false;
  static override args = applianceIds;
  static override flags = {
    all: allFlag,
    kill: Flags.boolean({ char: 'k', description: 'Send SIGKILL right away.' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Stop);
    await this.forEachAppliance(flags, argv, (client, id) => client.stop(id, { kill: flags.kill }));
  }
}
