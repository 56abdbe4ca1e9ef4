/**
 * A file rewritten in place, inside the room it already holds on the disk: its text, then
 * spaces up to the file's size (JSON reads them as white space). Such a rewrite needs no new
 * room, so it works on a full disk, where a temp file and a rename would not. It is not atomic:
 * a kill during it can leave the file torn, so what matters is kept in two such files, written
 * one after the other (see state-store.ts).
 */
import { writeFileAtomic } from './atomic-write.js';
import { constants } from 'node:fs';
import { openOwnFileAsync } from '../common/own-files.js';

/** Room given beyond the text when a file is made or grown: growth is rare then. */
function roomFor(bytes: number): number {
  return Math.max(4096, Math.ceil((bytes * 1.25) / 4096) * 4096);
}

function padded(text: Buffer, size: number): Buffer {
  const out = Buffer.alloc(size, 0x20);
  text.copy(out);
  out[size - 1] = 0x0a;
  return out;
}

/**
 * Writes `text` over the file at `path`; answers false, having written nothing, when the file
 * is not there or too small for it.
 */
export async function rewriteInPlace(path: string, text: Buffer, durable: boolean): Promise<boolean> {
  let file;
  try {
    file = await openOwnFileAsync(path, constants.O_WRONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const { size } = await file.stat();
    if (size < text.length + 1) return false;
    await file.write(padded(text, size), 0, size, 0);
    if (durable) await file.sync();
    return true;
  } finally {
    await file.close();
  }
}

/** Makes the file anew (temp file and rename), with room to spare for later rewrites in place. */
export async function writeWithRoom(path: string, text: Buffer, durable: boolean): Promise<void> {
  await writeFileAtomic(path, padded(text, roomFor(text.length + 1)), { durable });
}

