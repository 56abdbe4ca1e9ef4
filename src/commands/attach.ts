import { Args, Flags } from '@oclif/core';
import { ClientCommand } from '../cli/client-command.js';

export class Attach extends ClientCommand {
  static override summary = "Follow an appliance's output and send it your input, until the agent ends it.";
  static override args = { id: Args.string({ description: 'Appliance name or ref.', required: true }) };
  static override flags = {
    stdin: Flags.boolean({
      description: 'Send your input to the appliance (it needs `stdin = true`); --no-stdin only watches.',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Attach);
    const client = await this.connect(flags);
    await client.attach(args.id, { output: process.stdout, ...(flags.stdin && { input: process.stdin }) });
  }
}
