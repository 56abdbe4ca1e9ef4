import { Args } from '@oclif/core';
import { ClientCommand, jsonFlag } from '../cli/client-command.js';

/** A value as it reads in a diff line: strings quoted, tables and arrays as compact JSON. */
function show(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

export class Diff extends ClientCommand {
  static override summary = 'Show what changed between two versions of an appliance, field by field.';
  static override description =
    'Without versions: from the version its process runs (when older than the latest) or the one before the latest, to the latest. ' +
    'With one: from that version to the latest.';
  static override args = {
    id: Args.string({ description: 'Appliance name or ref.', required: true }),
    from: Args.integer({ description: 'Older version.', min: 1 }),
    to: Args.integer({ description: 'Newer version.', min: 1 }),
  };
  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Diff);
    const answer = await (await this.connect(flags)).diff(args.id, args.from, args.to);
    if (flags.json) {
      this.log(JSON.stringify(answer, null, 2));
      return;
    }
    this.log(`${answer.name}: v${answer.from} -> v${answer.to}`);
    if (answer.changes.length === 0) this.log(this.paint('  no change', 'dim'));
    for (const change of answer.changes) {
      if (change.kind === 'added') this.log(this.paint(`+ ${change.path}: ${show(change.after)}`, 'green'));
      else if (change.kind === 'removed') this.log(this.paint(`- ${change.path}: ${show(change.before)}`, 'red'));
      else this.log(`~ ${change.path}: ${show(change.before)} -> ${show(change.after)}`);
    }
  }
}
