import { Args } from '@oclif/core';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { renderTable } from '../cli/table.js';

export class History extends ClientCommand {
  static override summary = "List the versions of an appliance's definition, newest last.";
  static override args = { id: Args.string({ description: 'Appliance name or ref.', required: true }) };
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(History);
    const answer = await (await this.connect(flags)).history(args.id);
    if (flags.json) {
      this.log(JSON.stringify(answer, null, 2));
      return;
    }
    const rows = answer.versions.map((v) => [
      { text: String(v.version) },
      { text: v.time },
      { text: v.hash },
      { text: v.source },
      v.running ? { text: 'running', style: 'green' as const } : { text: v.version === answer.latest ? 'latest' : '' },
    ]);
    this.log(renderTable([{ header: 'VERSION', align: 'right' }, { header: 'TIME' }, { header: 'HASH' }, { header: 'SOURCE' }, { header: '' }], rows, this.paint));
  }
}
