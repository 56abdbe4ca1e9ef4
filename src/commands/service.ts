import { resolve } from 'node:path';
import { Command, Flags } from '@oclif/core';
import { detectInitSystem, INIT_SYSTEMS } from '../service/init-system.js';

/** Absolute, and nothing a unit file or a shell line would split or expand. */
const PLAIN_PATH = /^\/[\w./+@-]*$/;
const SERVICE_NAME = /^[a-z0-9][a-z0-9_.-]*$/;

export class ServiceInstall extends Command {
  static override summary = 'Write the service script that runs the agent at boot, for a host that did not get spew from a package.';
  static override description = [
    'Writes the systemd unit, upstart job or LSB init script (the same ones the packages install) to the',
    "init system's place, running this spew program on --config; writes that config too, with every key at",
    'its default, when it does not exist yet. Then prints the commands that enable and start the service.',
  ].join('\n');

  static override flags = {
    init: Flags.option({
      options: INIT_SYSTEMS,
      description: 'Init system to write the script for (default: the one running this host).',
    })(),
    name: Flags.string({ default: 'spew', description: 'Service name: the unit, job or init script, and the PID file.' }),
    config: Flags.string({ default: '/etc/spew/spew.toml', description: 'Instance config the agent runs with.' }),
    output: Flags.string({ description: 'Write the script here instead of its usual place (e.g. /etc/init.d/NAME).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServiceInstall);
    const config = resolve(flags.config);
    const output = flags.output === undefined ? undefined : resolve(flags.output);
    if (!SERVICE_NAME.test(flags.name)) this.error(`--name must be lower-case letters, digits, ".", "_" and "-", got ${JSON.stringify(flags.name)}`, { exit: 2 });
    for (const [flag, path] of [['--config', config], ['--output', output]] as const) {
      if (path !== undefined && !PLAIN_PATH.test(path)) this.error(`${flag} must be a path without spaces or shell characters, got ${JSON.stringify(path)}`, { exit: 2 });
    }
    const { installService, InstallError } = await import('../service/install-service.js');
    const { spewProgram } = await import('../service/spew-program.js');
    const binary = await spewProgram(this.config.root);
    if (!PLAIN_PATH.test(binary)) this.error(`this spew is at ${JSON.stringify(binary)}; a service script needs a path without spaces or shell characters`, { exit: 1 });
    const system = flags.init ?? (await detectInitSystem());
    try {
      const report = await installService({ system, name: flags.name, binary, config, output, packageRoot: this.config.root });
      this.log(`wrote ${report.script} (${system}${flags.init === undefined ? ', detected' : ''}): runs ${binary} agent --config ${config}`);
      if (report.configWritten) this.log(`wrote ${report.configWritten} (every key at its default)`);
      this.log('next:');
      for (const step of report.nextSteps) this.log(`  ${step}`);
    } catch (err) {
      if (!(err instanceof InstallError)) throw err;
      this.logToStderr(`spew: ${err.message}`);
      this.exit(1);
    }
  }
}
