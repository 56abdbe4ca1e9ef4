import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { renderHostsTable } from '../cli/hosts-table.js';

export class Hosts extends ClientCommand {
  static override summary = 'List the hosts of this agent\'s cluster: up or unreachable since when, labels, version, appliances.';
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Hosts);
    const answer = await (await this.connect(flags)).hosts();
    if (flags.json) {
      this.log(JSON.stringify(answer, null, 2));
      return;
    }
    this.log(renderHostsTable(answer.link, answer.hosts, this.paint, Date.now()));
    for (const key of answer.unreadable ?? []) this.logToStderr(this.paint(`warning: ${key}: not a value spew writes; skipped`, 'yellow'));
  }
}
