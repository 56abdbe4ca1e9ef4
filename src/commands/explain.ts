import { Args } from '@oclif/core';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { renderTable } from '../cli/table.js';

export class Explain extends ClientCommand {
  static override summary = 'Print every effective setting of an appliance and where its value came from.';
  static override args = { id: Args.string({ description: 'Appliance name or ref.', required: true }) };
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Explain);
    const answer = await (await this.connect(flags)).explain(args.id);
    if (flags.json) {
      this.log(JSON.stringify(answer, null, 2));
      return;
    }
    this.log(`${answer.name}, version ${answer.version}`);
    const rows = answer.settings.map((s) => [{ text: s.key }, { text: JSON.stringify(s.value) ?? '' }, { text: s.from, style: 'dim' as const }]);
    this.log(renderTable([{ header: 'SETTING' }, { header: 'VALUE' }, { header: 'FROM' }], rows, this.paint));
  }
}
