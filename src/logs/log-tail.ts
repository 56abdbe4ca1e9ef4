/**
 * Reads the last lines of a rotated log (see RotatingLogFile) without reading whole files:
 * each file is read backwards in blocks, newest file first, until enough lines are found.
 */
import type { FileHandle } from 'node:fs/promises';
import { OPEN, openOwnFileAsync } from '../common/own-files.js';

const NEWLINE = 0x0a;
const BLOCK_BYTES = 64 * 1024;

/** The last `n` lines across `path` and its rotated files, oldest first. Missing files are skipped. */
export async function readLastLines(path: string, n: number, maxFiles: number): Promise<string[]> {
  const newestFirst: string[] = [];
  for (let index = 0; index < maxFiles && newestFirst.length < n; index++) {
    await collectLastLines(index === 0 ? path : `${path}.${index}`, n, newestFirst);
  }
  return newestFirst.reverse();
}

/** Pushes the file's lines, last first, onto `newestFirst` until it holds `n`. */
async function collectLastLines(path: string, n: number, newestFirst: string[]): Promise<void> {
  let file: FileHandle;
  try {
    file = await openOwnFileAsync(path, OPEN.read);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const { size } = await file.stat();
    if (size === 0) return;
    let position = size;
    // Bytes of the line that starts before the block just read and ends after it.
    let unfinished: Buffer | undefined;
    while (position > 0 && newestFirst.length < n) {
      const blockLength = Math.min(BLOCK_BYTES, position);
      position -= blockLength;
      const block = Buffer.allocUnsafe(blockLength);
      // Rotation renames files, so an open file never shrinks; only an outside truncation makes this short.
      const { bytesRead } = await file.read(block, 0, blockLength, position);
      const read = block.subarray(0, bytesRead);
      const buffer = unfinished === undefined ? read : Buffer.concat([read, unfinished]);
      let end = buffer.length;
      // The newline that ends the file closes its last line; it does not start an empty one.
      if (unfinished === undefined && buffer[end - 1] === NEWLINE) end--;
      // lastIndexOf with a negative offset counts from the end, so an exhausted buffer must stop it.
      let newline = end > 0 ? buffer.lastIndexOf(NEWLINE, end - 1) : -1;
      while (newline !== -1 && newestFirst.length < n) {
        newestFirst.push(buffer.toString('utf8', newline + 1, end));
        end = newline;
        newline = end > 0 ? buffer.lastIndexOf(NEWLINE, end - 1) : -1;
      }
      unfinished = buffer.subarray(0, end);
    }
    // At the start of the file, what is left is its first line (possibly empty, if it began with '\n').
    if (position === 0 && unfinished !== undefined && newestFirst.length < n) {
      newestFirst.push(unfinished.toString('utf8'));
    }
  } finally {
    await file.close();
  }
}
