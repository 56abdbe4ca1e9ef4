/** Waiting for another process (one this process did not start, so cannot wait() for) to end. */
import { readFileSync } from 'node:fs';

/** Polls until no process has `pid`; answers false if one still does after `deadlineMs`. */
export async function waitForProcessExit(pid: number, deadlineMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return true;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie has ended; only its parent's wait() is missing (a container's PID 1 may never call it).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !'ZX'.includes(stat.charAt(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}
