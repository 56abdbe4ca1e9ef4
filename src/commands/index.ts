/**
 * Every command, for oclif's explicit discovery (package.json `oclif.commands`): no directory
 * scan at start-up, and a single-file bundle stays possible. Keep command files light: this map
 * imports all of them for every run.
 */
import { Agent } from './agent.js';
import { Apply } from './apply.js';
import { Attach } from './attach.js';
import { Create } from './create.js';
import { Diff } from './diff.js';
import { Events } from './events.js';
import { Explain } from './explain.js';
import { Export } from './export.js';
import { Help } from './help.js';
import { History } from './history.js';
import { Hosts } from './hosts.js';
import { Logs } from './logs.js';
import { Orphans } from './orphans.js';
import { Remove } from './remove.js';
import { Restart } from './restart.js';
import { Rollback } from './rollback.js';
import { Run } from './run.js';
import { ServiceInstall } from './service.js';
import { Start } from './start.js';
import { Status } from './status.js';
import { Stop } from './stop.js';
import { Upgrade } from './upgrade.js';
import { Validate } from './validate.js';

export const COMMANDS = {
  agent: Agent,
  apply: Apply,
  attach: Attach,
  create: Create,
  diff: Diff,
  events: Events,
  explain: Explain,
  export: Export,
  help: Help,
  history: History,
  hosts: Hosts,
  logs: Logs,
  orphans: Orphans,
  remove: Remove,
  restart: Restart,
  rollback: Rollback,
  run: Run,
  'service:install': ServiceInstall,
  start: Start,
  status: Status,
  stop: Stop,
  upgrade: Upgrade,
  validate: Validate,
};
