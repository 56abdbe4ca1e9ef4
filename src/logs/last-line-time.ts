/**
 * The time of the last line an appliance's log holds, read synchronously from the file's tail:
 * a new agent adopting a container asks the engine for output from there on, so that nothing
 * written while no agent ran is lost.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { OPEN, openOwnFile } from '../common/own-files.js';
import { parseLogLine } from './log-line.js';

/** Far more than one line; the last complete line of the file is within it. */
const TAIL_BYTES = 64 * 1024;

export function lastLineTime(path: string): Date | undefined {
  let fd: number;
  try {
    fd = openOwnFile(path, OPEN.read);
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const parsed = parseLogLine(lines[i] as string);
      if (parsed) return new Date(parsed.time);
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
