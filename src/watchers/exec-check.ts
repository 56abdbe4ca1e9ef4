/**
 * `type = "exec"`: a command run in its own process group; exit 0 is up, any other end is
 * down with the code and the last line it printed; still running at the timeout is a timeout,
 * and its whole group is killed.
 */
import type { Command } from '../model/command.js';
import type { RunAs } from '../runners/run-as.js';
import { runInGroup } from '../runners/run-in-group.js';
import type { CheckResult, WatcherCheck } from './watcher-check.js';

export class ExecCheck implements WatcherCheck {
  constructor(
    private readonly command: Command,
    /** As the appliance runs: its user, group, env and working directory. */
    private readonly runAs: RunAs,
  ) {}

  async run(timeoutMs: number): Promise<CheckResult> {
    const end = await runInGroup(this.command, this.runAs, timeoutMs);
    switch (end.kind) {
      case 'exit':
        if (end.code === 0) return { outcome: 'up' };
        return { outcome: 'down', detail: withLine(`exit code ${end.code}`, end.lastLine) };
      case 'signal':
        return { outcome: 'down', detail: withLine(`killed by ${end.signal}`, end.lastLine) };
      case 'timeout':
        return { outcome: 'timeout', detail: `still running after ${timeoutMs}ms; killed` };
      case 'spawn-error':
        return { outcome: 'down', detail: end.message };
    }
  }
}

function withLine(what: string, line: string): string {
  return line === '' ? what : `${what}: ${line}`;
}
