import { pipeline } from 'node:stream/promises';
import { Args } from '@oclif/core';
import { ClientCommand } from '../cli/client-command.js';
import { streamFlags } from '../cli/stream-flags.js';

export class Logs extends ClientCommand {
  static override summary = "Print an appliance's captured output: TIMESTAMP STREAM TEXT per line.";
  static override args = { id: Args.string({ description: 'Appliance name or ref.', required: true }) };
  static override flags = streamFlags;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    const body = await (await this.connect(flags)).logs(args.id, { tail: flags.tail, follow: flags.follow });
    await pipeline(body, process.stdout, { end: false });
  }
}
