/**
 * A `run` hook: `/bin/sh -c` in its own process group, as the appliance runs (its user, group,
 * env and cwd), told about the event through SPEW_* variables; the group is killed at the
 * timeout.
 */
import { formatDuration } from '../common/duration.js';
import type { RunAs } from '../runners/run-as.js';
import { runInGroup } from '../runners/run-in-group.js';
import type { HookContext } from './hook-context.js';

/** Resolves to undefined on exit 0, else to why it failed. Never rejects. */
export async function runCommandHook(command: string, ctx: HookContext, runAs: RunAs, timeoutMs: number): Promise<string | undefined> {
  const env = {
    ...runAs.env,
    SPEW_APPLIANCE: ctx.appliance,
    SPEW_REF: ctx.ref,
    SPEW_EVENT: ctx.event,
    SPEW_REASON: ctx.reason,
    SPEW_STATE: ctx.state,
  };
  const end = await runInGroup(command, { ...runAs, env }, timeoutMs);
  switch (end.kind) {
    case 'exit':
      if (end.code === 0) return undefined;
      return withLine(`exit code ${end.code}`, end.lastErrLine);
    case 'signal':
      return withLine(`killed by ${end.signal}`, end.lastErrLine);
    case 'timeout':
      return `timed out after ${formatDuration(timeoutMs)}`;
    case 'spawn-error':
      return end.message;
  }
}

function withLine(what: string, line: string): string {
  return line === '' ? what : `${what}: ${line}`;
}
