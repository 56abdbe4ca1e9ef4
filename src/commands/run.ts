import { CreateCommand } from '../cli/create-command.js';

export class Run extends CreateCommand {
  static override summary = 'Create an appliance and start it: spew run NAME -- COMMAND...';
  protected readonly start = true;
}
