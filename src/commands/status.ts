import { Args } from '@oclif/core';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { renderStatusTable } from '../cli/status-table.js';

export class Status extends ClientCommand {
  static override summary = 'Show appliances and their state.';
  static override strict = false;
  static override args = {
    id: Args.string({ description: 'Appliance name or ref; all appliances when none is given.' }),
  };
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Status);
    const appliances = await (await this.connect(flags)).status(argv.map(String));
    const width = process.stdout.isTTY ? process.stdout.columns : undefined;
    this.log(flags.json ? JSON.stringify(appliances, null, 2) : renderStatusTable(appliances, { paint: this.paint, width }));
  }
}
