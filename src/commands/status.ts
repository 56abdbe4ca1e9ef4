import { Args } from '@oclif/core';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { showStatus } from '../cli/show-status.js';

export class Status extends ClientCommand {
  static override summary = 'Show appliances and their state.';
  static override strict = false;
  static override args = {
    id: Args.string({ description: 'Appliance name or ref; all appliances when none is given.' }),
  };
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Status);
    this.log(await showStatus({ ...flags, ids: argv.map(String) }));
  }
}
