import { CreateCommand } from '../cli/create-command.js';

export class Create extends CreateCommand {
  static override summary = 'Create an appliance without starting it: spew create NAME -- COMMAND...';
  protected readonly start = false;
}
