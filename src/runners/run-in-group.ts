/**
 * Runs a short-lived command (an exec check, a hook) in its own process group with a deadline.
 * At the deadline the whole group is killed, so a check that forked helpers leaves none
 * behind, and the caller gets its answer at once even if some escaped descendant still holds
 * the output pipes open.
 *
 * Output is not buffered: only the tail of each stream is kept, enough for a last line, so a
 * chatty command costs no memory and cannot fail on a buffer limit.
 */
import { execa } from 'execa';
import { argvOf, type Command } from '../model/command.js';
import { errorMessage } from '../common/errors.js';
import { signalGroup } from './process-group.js';
import type { RunAs } from './run-as.js';
import { resolveIdentity, type Identity } from './user-ids.js';

export type CommandEnd =
  | { kind: 'exit'; code: number; lastLine: string; lastErrLine: string }
  | { kind: 'signal'; signal: string; lastLine: string; lastErrLine: string }
  | { kind: 'timeout' }
  | { kind: 'spawn-error'; message: string };

/** Enough for any last line worth showing in an event. */
const TAIL_CHARS = 4096;

function lastLineOf(text: string): string {
  const trimmed = text.trimEnd();
  return trimmed.slice(trimmed.lastIndexOf('\n') + 1).slice(-512);
}

/**
 * `command`: a string runs under `/bin/sh -c`, an argv array directly, as `runAs` says (its
 * user and group are looked up now: an unknown one is a spawn error, never a run as the agent).
 * Never rejects.
 */
export function runInGroup(command: Command, runAs: RunAs, timeoutMs: number): Promise<CommandEnd> {
  const [file, ...args] = argvOf(command);
  if (file === undefined) return Promise.resolve({ kind: 'spawn-error', message: 'empty command' });
  let identity: Identity | undefined;
  try {
    identity = resolveIdentity(runAs.user, runAs.group);
  } catch (error) {
    return Promise.resolve({ kind: 'spawn-error', message: errorMessage(error) });
  }
  return new Promise((resolve) => {
    let all = '';
    let err = '';
    let done = false;
    const finish = (end: CommandEnd): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(end);
    };
    let child: ReturnType<typeof execa>;
    try {
      child = execa(file, args, {
        env: { ...identity?.env, ...runAs.env },
        ...(runAs.cwd !== undefined && { cwd: runAs.cwd }),
        // Like the appliance's own start: supplementary groups are dropped (libuv's setgroups).
        ...(identity && { uid: identity.uid, gid: identity.gid }),
        detached: true,
        cleanup: false,
        reject: false,
        buffer: false,
        stdin: 'ignore',
      });
    } catch (error) {
      resolve({ kind: 'spawn-error', message: (error as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish({ kind: 'timeout' });
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      all = (all + chunk).slice(-TAIL_CHARS);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      all = (all + chunk).slice(-TAIL_CHARS);
      err = (err + chunk).slice(-TAIL_CHARS);
    });
    void child.then((result) => {
      const tails = { lastLine: lastLineOf(all), lastErrLine: lastLineOf(err) };
      if (result.exitCode !== undefined) finish({ kind: 'exit', code: result.exitCode, ...tails });
      else if (result.signal !== undefined) finish({ kind: 'signal', signal: result.signal, ...tails });
      else finish({ kind: 'spawn-error', message: result.shortMessage ?? 'could not start' });
    });
  });
}
