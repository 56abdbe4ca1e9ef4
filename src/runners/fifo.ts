/**
 * Named pipes carry an appliance's output and its exit status to the agent. Unlike the
 * anonymous pipes a parent usually hands its child, a FIFO outlives the agent: the appliance
 * keeps writing into it while no agent runs (up to the pipe's 64 KiB, then it blocks), and the
 * next agent opens it by name and reads on. That is how output survives an agent restart.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, lstatSync, readSync, rmSync } from 'node:fs';
import { openOwnFile } from '../common/own-files.js';

/** Whether `path` is a FIFO of the agent's own; anything else standing there is removed. */
function fifoThere(path: string): boolean {
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return false;
  }
  if (stats.isFIFO() && stats.uid === (process.geteuid?.() ?? 0)) return true;
  rmSync(path, { recursive: true, force: true });
  return false;
}

/**
 * Node has no mkfifo(3); one mkfifo(1) call makes all the missing ones at once. Whatever else
 * stands at one of the paths (a link, a file) goes first: the agent opens only its own FIFOs.
 */
export function makeFifos(paths: string[]): void {
  const missing = paths.filter((path) => !fifoThere(path));
  if (missing.length > 0) execFileSync('mkfifo', ['-m', '0600', ...missing]);
}

/** Opens one of the agent's FIFOs, never through a link. */
export function openFifo(path: string, flags: number): number {
  return openOwnFile(path, flags, 0o600, 'fifo');
}

/**
 * Whether some process holds the FIFO's write end: a non-blocking read on a FIFO with no
 * writer returns 0 (end of file), with a silent writer EAGAIN. The descriptor is returned for
 * reuse as the reader, so no writer can slip in between the check and the watch.
 */
export function probeWriter(path: string): { fd: number; writer: boolean; pending: Buffer } {
  const fd = openFifo(path, constants.O_RDONLY | constants.O_NONBLOCK);
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
