/**
 * Room kept on the state dir's disk for the agent's own state: a file of zeros, given up when a
 * save finds the disk full, so that the save (and with it every restart counter and request)
 * still reaches the disk while appliances fill it up. It is made again once there is room.
 */
import { statfsSync, unlinkSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OPEN, openOwnFileAsync } from '../common/own-files.js';

/** Never less than this, whatever the state's size. */
const MIN_BYTES = 1024 * 1024;

export class DiskReserve {
  private size = 0;

  constructor(private readonly path: string) {}

  /**
   * Makes the reserve hold at least `bytes` (three saves' worth of the state, say), when the
   * disk has room for it four times over; otherwise waits for a later call.
   */
  async keep(bytes: number): Promise<void> {
    const wanted = Math.max(MIN_BYTES, bytes);
    if (this.size >= wanted) return;
    const { bavail, bsize } = statfsSync(dirname(this.path));
    if (bavail * bsize < wanted * 4) return;
    const temp = `${this.path}.tmp`;
    try {
      unlinkSync(temp);
    } catch {
      // None left over.
    }
    const file = await openOwnFileAsync(temp, OPEN.create);
    try {
      await file.write(Buffer.alloc(wanted));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.path);
    const dir = await open(dirname(this.path), 'r');
    await dir.sync().finally(() => dir.close());
    this.size = wanted;
  }

  /** Frees the room for a save the full disk refused; answers whether there was any. */
  release(): boolean {
    if (this.size === 0) return false;
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone: nothing to free.
    }
    this.size = 0;
    return true;
  }
}

export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
