/**
 * Replaces a file so that a reader (or the next agent after a kill -9 or power loss) sees either
 * the old content or the new, never a mix: temp file, fsync, rename, fsync of the directory.
 */
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  // The rename lives in the directory; without this fsync a power loss can undo it.
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
