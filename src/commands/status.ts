import { Args, Flags } from '@oclif/core';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { showStatus } from '../cli/show-status.js';

export class Status extends ClientCommand {
  static override summary = 'Show appliances and their state: on a cluster\'s agent, those of every host.';
  static override strict = false;
  static override args = {
    id: Args.string({ description: 'Appliance name or ref; all appliances when none is given.' }),
  };
  static override flags = {
    json: jsonFlag,
    local: Flags.boolean({ description: 'Only this host\'s appliances, without asking the cluster.', exclusive: ['host'] }),
    host: Flags.string({ description: 'Only this host\'s appliances (cluster); repeat for several.', multiple: true }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Status);
    this.log(await showStatus({ ...flags, local: flags.local ?? false, hosts: flags.host ?? [], ids: argv.map(String) }));
  }
}
