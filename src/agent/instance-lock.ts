/**
 * One agent per state dir. The lock file holds the owner's PID and process start time; a lock
 * whose owner is gone (kill -9 leaves the file behind), or that holds anything else (a write cut
 * short, a damaged file), is stale and taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SpewError } from '../common/errors.js';
import { processStartTime } from '../runners/process-group.js';

export class InstanceLock {
  private constructor(private readonly path: string) {}

  static acquire(stateDir: string): InstanceLock {
    const path = join(stateDir, 'agent.lock');
    const me = `${process.pid} ${processStartTime(process.pid) ?? ''}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, me);
        closeSync(fd);
        return new InstanceLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = /^(\d+) (\d+)$/.exec(readFileSync(path, 'utf8').trim());
      if (owner && processStartTime(Number(owner[1])) === owner[2]) {
        throw new SpewError(
          'AGENT_BUSY',
          `another spew agent (pid ${owner[1]}) is already running on state dir ${stateDir}; stop it first or use another state_dir`,
        );
      }
      unlinkSync(path);
    }
    throw new SpewError('AGENT_BUSY', `cannot take the lock ${path}`);
  }

  release(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}
