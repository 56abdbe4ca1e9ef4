import { Args, Command, loadHelpClass } from '@oclif/core';

/** `spew help [COMMAND]`: oclif answers `--help` itself but has no `help` command built in. */
export class Help extends Command {
  static override summary = 'Show help for spew or for one of its commands.';
  static override strict = false;
  static override args = { command: Args.string({ description: 'Command to explain.' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const HelpClass = await loadHelpClass(this.config);
    // The options `--help` gets from package.json: `all` lists `service install` at the root too.
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions).showHelp(argv.map(String));
  }
}
