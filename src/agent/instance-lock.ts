/**
 * One agent per state dir. The lock file holds the owner's PID and process start time; a lock
 * whose owner is gone (kill -9 leaves the file behind), or that holds anything else (a write cut
 * short, a damaged file), is stale and taken over.
 */
import { closeSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SpewError } from '../common/errors.js';
import { OPEN, openOwnFile, readOwnFile } from '../common/own-files.js';
import { processStartTime } from '../runners/process-group.js';

export class InstanceLock {
  private constructor(private readonly path: string) {}

  static acquire(stateDir: string): InstanceLock {
    const path = join(stateDir, 'agent.lock');
    const me = `${process.pid} ${processStartTime(process.pid) ?? ''}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openOwnFile(path, OPEN.create);
        writeSync(fd, me);
        closeSync(fd);
        return new InstanceLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = /^(\d+) (\d+)$/.exec(lockText(path));
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

/** What the lock says; a link or someone else's file there says nothing (it is removed). */
function lockText(path: string): string {
  try {
    return readOwnFile(path)?.trim() ?? '';
  } catch {
    return '';
  }
}
