/**
 * The dirs the agent keeps things in as root: its state, its logs, its socket's. Each must be
 * the agent's alone (common/own-files.ts); one that is not there yet is made so.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkPrivateDir } from '../common/own-files.js';
import type { InstanceConfig } from '../config/instance-config.js';

function dirsOf(config: InstanceConfig): [string, string][] {
  return [
    [config.state_dir, `state_dir ${config.state_dir}`],
    [config.log_dir, `log_dir ${config.log_dir}`],
    // Nobody else may swap the socket for a link between its bind and its chmod.
    [dirname(config.socket), `the dir of socket ${config.socket}`],
  ];
}

/** Makes what is missing of the agent's dirs, and refuses one that others may write to. */
export function makeAgentDirs(config: InstanceConfig): void {
  for (const [dir, what] of dirsOf(config)) {
    mkdirSync(dir, { recursive: true, mode: dir === dirname(config.socket) ? 0o755 : 0o750 });
    checkPrivateDir(dir, what);
  }
}

/** `spew agent --check`: the dirs there are must be safe; those not there yet would be made. */
export function checkAgentDirs(config: InstanceConfig): void {
  for (const [dir, what] of dirsOf(config)) if (existsSync(dir)) checkPrivateDir(dir, what);
}
