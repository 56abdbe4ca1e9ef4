/** Waiting for another process (one this process did not start, so cannot wait() for) to end. */

/** Polls until no process has `pid`; answers false if one still does after `deadlineMs`. */
export async function waitForProcessExit(pid: number, deadlineMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (processExists(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return true;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
