import { Args, Command } from '@oclif/core';
import { SpewError } from '../common/errors.js';

export class Validate extends Command {
  static override summary = 'Check appliance files without an agent: FILE: ok, or every problem as file:line:col.';
  static override strict = false;
  static override args = { file: Args.string({ description: 'Appliance file (TOML); give as many as you like.', required: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Validate);
    const files = argv.map(String);
    // Loaded here, not at the top: every command class is imported at start-up, and the TOML
    // parser is not needed by the others.
    const { loadApplianceFiles } = await import('../config/appliance-file.js');
    const { checkDependencies } = await import('../supervision/dependency-check.js');
    // The instance defaults only fill in absent keys; they cannot make a file valid or invalid.
    const items = await loadApplianceFiles(files, { stop_timeout_ms: 0, depends_timeout_ms: 0 });
    // Without the instance config there is no telling whether it is a cluster's: `db@host2` passes.
    checkDependencies(items, new Map(), true);
    for (const file of files) {
      const count = items.filter((item) => item.file === file).length;
      this.log(`${file}: ok (${count} appliance${count === 1 ? '' : 's'})`);
    }
  }

  override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof SpewError) {
      process.exitCode = 1;
      this.logToStderr(err.message);
      return;
    }
    return super.catch(err);
  }
}
