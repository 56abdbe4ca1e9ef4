import { Args, Flags } from '@oclif/core';
import { ClientCommand } from '../cli/client-command.js';

export class Export extends ClientCommand {
  static override summary = 'Print appliances as an appliance file that `spew apply` on another host turns into identical ones.';
  static override strict = false;
  static override args = { id: Args.string({ description: 'Appliance name or ref; all when none is given.' }) };
  static override flags = {
    versions: Flags.boolean({ description: 'Add every earlier version of each appliance, as comments.' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Export);
    process.stdout.write(await (await this.connect(flags)).exportToml(argv.map(String), flags.versions));
  }
}
