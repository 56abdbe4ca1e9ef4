/**
 * Replaces a file so that a reader (or the next agent after a kill -9 or power loss) sees either
 * the old content or the new, never a mix: temp file, fsync, rename, fsync of the directory.
 * The temp file is created new (O_EXCL, no link followed): whatever stands at its name (left by
 * a kill -9, or planted) is removed first, never written through.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OPEN, openOwnFileAsync } from '../common/own-files.js';

async function createTemp(temp: string): Promise<Awaited<ReturnType<typeof openOwnFileAsync>>> {
  try {
    return await openOwnFileAsync(temp, OPEN.create);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await unlink(temp);
    return openOwnFileAsync(temp, OPEN.create);
  }
}

/** `durable: false` skips the fsyncs: the file is whole or old after a kill, not after a power cut. */
export async function writeFileAtomic(path: string, data: string | Buffer, { durable = true } = {}): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  const file = await createTemp(temp);
  try {
    await file.writeFile(data);
    if (durable) await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  if (!durable) return;
  // The rename lives in the directory; without this fsync a power loss can undo it.
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
