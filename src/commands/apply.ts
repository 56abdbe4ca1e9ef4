import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { errorMessage, SpewError } from '../common/errors.js';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';
import { renderPlan } from '../cli/plan-lines.js';

export class Apply extends ClientCommand {
  static override summary = 'Make the agent match appliance files: create, update and (with --prune) remove.';
  static override strict = false;
  static override args = { file: Args.string({ description: 'Appliance file (TOML); give as many as you like.', required: true }) };
  static override flags = {
    prune: Flags.boolean({ description: 'Remove appliances that came from a file but are in none of these.' }),
    'dry-run': Flags.boolean({ description: 'Print the plan and change nothing.' }),
    'no-restart': Flags.boolean({ description: 'Record changed definitions but leave running appliances on their version until restarted.' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Apply);
    // The agent may run elsewhere in the file system's eyes (another cwd, another user), so it
    // gets the contents, named by absolute path so that its errors point at the right file.
    const files = await Promise.all(
      argv.map(async (file) => {
        const path = resolve(String(file));
        const content = await readFile(path, 'utf8').catch((err: unknown) => {
          throw new SpewError('INVALID_CONFIG', `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
        });
        return { path, content };
      }),
    );
    const client = await this.connect(flags);
    const answer = await client.apply({ files, prune: flags.prune, dry_run: flags['dry-run'], no_restart: flags['no-restart'] });
    this.log(flags.json ? JSON.stringify(answer, null, 2) : renderPlan(answer, this.paint));
  }
}
