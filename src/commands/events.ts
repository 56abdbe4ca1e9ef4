import { Flags } from '@oclif/core';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { renderEvent } from '../cli/event-line.js';
import { streamFlags } from '../cli/stream-flags.js';

export class Events extends ClientCommand {
  static override summary = "Print the agent's event log: TIME [HOST] NAME EVENT -> STATE per line; on a cluster's agent, every host's.";
  static override flags = {
    ...streamFlags,
    local: Flags.boolean({ description: "On a cluster's agent: this host's events only." }),
    json: { ...jsonFlag, description: 'Print one JSON record per line.' },
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Events);
    const client = await this.connect(flags);
    for await (const record of client.events({ tail: flags.tail, follow: flags.follow, ...(flags.local && { local: true }) })) {
      this.log(flags.json ? JSON.stringify(record) : renderEvent(record, this.paint));
    }
  }
}
