/**
 * The spec of a start: one line of /bin/sh that a shim evaluates to become one appliance's run
 * (see shell-shim.ts). It travels with the start (in the launcher's request or a standby's go
 * line), so a start creates no file of its own but the shim's record.
 *
 * What it does, in order: stdio from the run dir's FIFOs (opened read-write, so the appliance
 * never gets SIGPIPE while no agent reads: its output waits in the pipe for the next agent),
 * the working directory, the environment, and the argv as "$@".
 */
import { type ApplianceDefinition } from '../model/appliance-definition.js';
import { argvOf } from '../model/command.js';
import { INSTANCE_VARIABLE } from './instance-scan.js';
import type { Identity } from './user-ids.js';

/**
 * A word the shell reads back exactly as it is, on one line: a newline becomes "$n", which
 * the shim holds a newline in.
 */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''").replaceAll('\n', `'"$n"'`)}'`;
}

/** Names `export` takes; any other name goes through env(1), which takes every name. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The spec of a start of `def`, for a shim whose `$d` is the run dir. */
export function runSpec(def: ApplianceDefinition, identity: Identity | undefined): string {
  // The appliance's stderr waits on fd 4: the shim's own stderr is not the appliance's to log.
  const steps = [`exec 0${def.stdin ? '<>"$d/in"' : '</dev/null'} 1<>"$d/out" 4<>"$d/err" 3<>"$d/life"`];
  if (def.cwd !== undefined) {
    const message = shellQuote(`cannot change into the working directory ${def.cwd}`);
    steps.push(`cd -- ${shellQuote(def.cwd)} || { echo "error $$ "${message} >&3; exit 1; }`);
  }
  const env = { ...identity?.env, ...def.env, SPEW_APPLIANCE: def.name, SPEW_REF: def.ref };
  // The shim's own marker (instance-scan.ts) passes to the appliance as it is: no env can hide it.
  const entries = Object.entries(env).filter(([name]) => name !== INSTANCE_VARIABLE);
  const exported = entries.filter(([name]) => SHELL_NAME.test(name));
  const odd = entries.filter(([name]) => !SHELL_NAME.test(name));
  if (exported.length > 0) steps.push(`export ${exported.map(([name, value]) => `${name}=${shellQuote(value)}`).join(' ')}`);
  const argv = [
    ...(odd.length > 0 ? ['env', ...odd.map(([name, value]) => `${name}=${value}`)] : []),
    // Like Node's own spawn with uid and gid: supplementary groups are dropped.
    ...(identity ? ['setpriv', `--reuid=${identity.uid}`, `--regid=${identity.gid}`, '--clear-groups', '--'] : []),
    ...argvOf(def.command),
  ];
  steps.push(`set -- ${argv.map(shellQuote).join(' ')}`);
  return steps.join('; ');
}
