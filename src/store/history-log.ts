/**
 * Every appliance's versions in one append-only file, STATE_DIR/history.log: a JSON record a
 * line, `{ref, ...version}`. Appends are batched: versions made together (a first boot, an
 * apply of many files) cost one write and one fsync, not one per appliance.
 *
 * Crash safety: a version is appended (and synced) before the state file that names it is
 * written, so the state file is the commit point: at load, versions newer than the state's are
 * dropped, and a line a kill -9 cut short is skipped. Retention happens in memory at once and in
 * the file when the agent starts (the file is rewritten, atomically, with what is kept).
 */
import { join } from 'node:path';
import { OPEN, openOwnFileAsync, readOwnFile } from '../common/own-files.js';
import { writeFileAtomic } from './atomic-write.js';
import type { ApplianceVersion } from '../model/appliance-version.js';

type HistoryRecord = ApplianceVersion & { ref: string };

export class HistoryLog {
  private readonly path: string;
  private pending: string[] = [];
  private writing: Promise<void> | undefined;
  /** Lines in the file, to see at load whether it holds more than what is kept. */
  private lines = 0;
  private cutShort = false;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'history.log');
  }

  /** Every saved version, by ref, oldest first. */
  load(): Map<string, ApplianceVersion[]> {
    const all = new Map<string, ApplianceVersion[]>();
    const text = readOwnFile(this.path);
    if (text === undefined) return all;
    this.cutShort = text !== '' && !text.endsWith('\n');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      this.lines += 1;
      let record: HistoryRecord;
      try {
        record = JSON.parse(line) as HistoryRecord;
      } catch {
        // Cut short by a kill -9 during its write; it was never committed.
        continue;
      }
      const { ref, ...version } = record;
      all.set(ref, [...(all.get(ref) ?? []), version]);
    }
    return all;
  }

  /** Resolves once the version is on disk, together with any others appended meanwhile. */
  append(ref: string, version: ApplianceVersion): Promise<void> {
    this.pending.push(`${JSON.stringify({ ref, ...version })}\n`);
    this.writing ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }

  /**
   * Rewrites the file with exactly `kept` when it holds anything else: versions past the
   * retention, of removed appliances, never committed, or a line cut short (the next append
   * must start on a line of its own).
   */
  async compact(kept: Map<string, readonly ApplianceVersion[]>): Promise<void> {
    const records = [...kept].flatMap(([ref, versions]) => versions.map((v) => `${JSON.stringify({ ref, ...v })}\n`));
    if (this.lines === records.length && !this.cutShort) return;
    await this.writing;
    await writeFileAtomic(this.path, records.join(''));
    this.lines = records.length;
    this.cutShort = false;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      const file = await openOwnFileAsync(this.path, OPEN.append);
      try {
        await file.writeFile(batch.join(''));
        await file.sync();
      } finally {
        await file.close();
      }
      this.lines += batch.length;
    }
  }
}
