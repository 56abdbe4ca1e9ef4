/**
 * Named pipes carry an appliance's output and its exit status to the agent. Unlike the
 * anonymous pipes a parent usually hands its child, a FIFO outlives the agent: the appliance
 * keeps writing into it while no agent runs (up to the pipe's 64 KiB, then it blocks), and the
 * next agent opens it by name and reads on. That is how output survives an agent restart.
 */
import { execFileSync } from 'node:child_process';
import { constants, existsSync, openSync, readSync, closeSync } from 'node:fs';
import { Socket } from 'node:net';

/** Node has no mkfifo(3); one mkfifo(1) call makes all the missing ones at once. */
export function makeFifos(paths: string[]): void {
  const missing = paths.filter((path) => !existsSync(path));
  if (missing.length > 0) execFileSync('mkfifo', ['-m', '0600', ...missing]);
}

/**
 * Opens a FIFO read-write for reading in the event loop. Holding a write end too means the
 * reader never sees end-of-file when the appliance exits, so one reader serves every restart.
 */
export function openPersistentReader(path: string): Socket {
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  return new Socket({ fd, readable: true, writable: false });
}

/**
 * Opens a FIFO read-write and blocking, to hand to an appliance as stdout, stderr or stdin.
 * The appliance then holds a read end itself, so its writes never raise SIGPIPE while no agent
 * reads: they wait in the pipe for the next agent.
 */
export function openAppendEnd(path: string): number {
  return openSync(path, constants.O_RDWR);
}

/**
 * Whether some process holds the FIFO's write end: a non-blocking read on a FIFO with no
 * writer returns 0 (end of file), with a silent writer EAGAIN. The descriptor is returned for
 * reuse as the reader, so no writer can slip in between the check and the watch.
 */
export function probeWriter(path: string): { fd: number; writer: boolean; pending: Buffer } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(64);
  try {
    const n = readSync(fd, buf);
    // Data means a writer was there a moment ago; the watch that follows sees the rest.
    return { fd, writer: n > 0, pending: buf.subarray(0, n) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return { fd, writer: true, pending: Buffer.alloc(0) };
    closeSync(fd);
    throw err;
  }
}
