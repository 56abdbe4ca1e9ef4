import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { renderTable } from '../cli/table.js';

export class Orphans extends ClientCommand {
  static override summary = "List containers made by spew whose appliance this agent does not have (spew leaves them alone).";
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(Orphans);
    const { orphans } = await (await this.connect(flags)).orphans();
    if (flags.json) {
      this.log(JSON.stringify(orphans, null, 2));
      return;
    }
    const rows = orphans.map((o) => [{ text: o.name }, { text: o.appliance }, { text: o.ref }, { text: o.state }, { text: o.id.slice(0, 12) }]);
    this.log(renderTable([{ header: 'CONTAINER' }, { header: 'APPLIANCE' }, { header: 'REF' }, { header: 'STATE' }, { header: 'ID' }], rows, this.paint));
  }
}
