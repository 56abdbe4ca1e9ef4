import { Args, Flags } from '@oclif/core';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { withPullProgress } from '../cli/pull-progress.js';

export class Rollback extends ClientCommand {
  static override summary = 'Make a new version equal to an earlier one and restart the appliance on it.';
  static override description = 'A container goes through the same health-gated path as an upgrade: if the old definition does not come up healthy, the appliance stays on what it ran (exit 1).';
  static override args = { id: Args.string({ description: 'Appliance name or ref.', required: true }) };
  static override flags = {
    to: Flags.integer({ description: 'The version to go back to (default: the one before the latest).', min: 1 }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Rollback);
    const client = await this.connect(flags);
    const answer = await withPullProgress(client, [args.id], () => client.rollback(args.id, flags.to));
    if (flags.json) this.log(JSON.stringify(answer, null, 2));
    else if (answer.outcome === 'rolled-back') this.log(`${answer.appliance.name}: ${this.paint('rolled back', 'green')} to v${answer.to} as v${answer.version}`);
    else this.log(`${answer.appliance.name}: ${this.paint('refused', 'red')}: v${answer.to} did not come up healthy (${answer.reason ?? ''}); still on v${answer.version}`);
    if (answer.outcome === 'refused') process.exitCode = 1;
  }
}
