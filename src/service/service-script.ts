/**
 * A service script for this host, made from the one in init/: the packaged scripts run
 * /usr/bin/spew on /etc/spew/spew.toml as the service `spew`; `spew service install` may name
 * another program, config or service. Every line that changes must be found exactly once, so a
 * template edited out of shape fails loudly instead of yielding a script that runs the wrong thing.
 */
import type { InitSystem } from './init-system.js';

export interface ServiceSettings {
  /** The service's name: the unit or job file's name, the init script's name and PID file. */
  name: string;
  /** The spew program the service runs. */
  binary: string;
  /** The instance config it runs with. */
  config: string;
}

/** What the scripts in init/ say. */
export const PACKAGED_SERVICE: ServiceSettings = { name: 'spew', binary: '/usr/bin/spew', config: '/etc/spew/spew.toml' };

type Edit = [from: string, to: string];

function agentCommand(s: ServiceSettings): string {
  return `${s.binary} agent --config ${s.config} `;
}

const EDITS: Record<InitSystem, (to: ServiceSettings) => Edit[]> = {
  // The unit's name is its file's; /run/spew, /var/lib/spew and /var/log/spew are the default
  // dirs whatever the name.
  systemd: (to) => [[`ExecStart=${agentCommand(PACKAGED_SERVICE)}`, `ExecStart=${agentCommand(to)}`]],
  upstart: (to) => [[`exec ${agentCommand(PACKAGED_SERVICE)}`, `exec ${agentCommand(to)}`]],
  sysv: (to) => [
    [`# Provides:          ${PACKAGED_SERVICE.name}\n`, `# Provides:          ${to.name}\n`],
    [`\nNAME=${PACKAGED_SERVICE.name}\n`, `\nNAME=${to.name}\n`],
    [`\nDAEMON=${PACKAGED_SERVICE.binary}\n`, `\nDAEMON=${to.binary}\n`],
    [`\nCONFIG=${PACKAGED_SERVICE.config}\n`, `\nCONFIG=${to.config}\n`],
  ],
};

export function renderServiceScript(system: InitSystem, template: string, settings: ServiceSettings): string {
  let text = template;
  for (const [from, to] of EDITS[system](settings)) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`the ${system} template has ${count} lines like ${JSON.stringify(from.trim())}; expected exactly 1`);
    text = text.replace(from, () => to);
  }
  return text;
}
