import { Args, Flags } from '@oclif/core';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { withPullProgress } from '../cli/pull-progress.js';
import { renderTable } from '../cli/table.js';

export class Upgrade extends ClientCommand {
  static override summary = 'Upgrade container appliances to the newest tag their vsn constraint admits (or --to TAG).';
  static override strict = false;
  static override args = {
    id: Args.string({ description: 'Appliance name or ref; with --check, all docker appliances with a vsn when none is given.' }),
  };
  static override flags = {
    check: Flags.boolean({ description: 'Only list the appliances that have a newer tag; change nothing.' }),
    to: Flags.string({ description: 'Upgrade (or downgrade) to exactly this tag.' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Upgrade);
    const ids = argv.map(String);
    const client = await this.connect(flags);
    if (flags.check) {
      if (flags.to !== undefined) this.error('--to goes with an upgrade, not with --check', { exit: 2 });
      const { upgrades } = await client.upgradeCheck(ids);
      if (flags.json) {
        this.log(JSON.stringify(upgrades, null, 2));
        return;
      }
      const rows = upgrades.map((u) => [
        { text: u.name },
        { text: u.current ?? '-' },
        { text: u.available ?? '-' },
        u.error !== undefined
          ? { text: u.error, style: 'red' as const }
          : u.available === u.current ? { text: 'up to date', style: 'dim' as const } : { text: 'upgrade available', style: 'green' as const },
      ]);
      this.log(renderTable([{ header: 'NAME' }, { header: 'CURRENT' }, { header: 'AVAILABLE' }, { header: 'STATUS' }], rows, this.paint));
      return;
    }
    if (ids.length !== 1) this.error('give one appliance to upgrade (or --check to list what can be)', { exit: 2 });
    const id = ids[0] as string;
    const answer = await withPullProgress(client, [id], () => client.upgrade(id, flags.to));
    if (flags.json) this.log(JSON.stringify(answer, null, 2));
    else if (answer.outcome === 'current') this.log(`${answer.appliance.name}: already on ${answer.to}`);
    else if (answer.outcome === 'upgraded') this.log(`${answer.appliance.name}: ${this.paint('upgraded', 'green')} ${answer.from ?? '-'} -> ${answer.to}`);
    else this.log(`${answer.appliance.name}: ${this.paint('rolled back', 'red')} to ${answer.from ?? '-'}: ${answer.to} ${answer.reason ?? ''}`);
    // A script must be able to tell that the new version is not what runs.
    if (answer.outcome === 'rolled-back') process.exitCode = 1;
  }
}
