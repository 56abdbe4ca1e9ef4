/**
 * Image pull progress while a request runs (`spew run`, `start`, `restart`, `upgrade` of a
 * container): a bar per layer, redrawn in place on a terminal, a line per layer change elsewhere.
 * Written to stderr, so `--json` output on stdout stays clean.
 */
import { createInterface } from 'node:readline';
import type { PullEvent } from '../model/image-pull.js';
import type { ApiClient } from '../client/api-client.js';
import { renderPlainUpdate, renderTtyFrame, updateBoard, type PullBoard } from '../images/progress-bars.js';

/** Runs `work` while drawing the progress of pulls for the appliances named (by name or ref). */
export async function withPullProgress<T>(client: ApiClient, ids: readonly string[], work: () => Promise<T>): Promise<T> {
  const wanted = new Set(ids);
  const stream = await client.pulls().catch(() => undefined);
  if (!stream) return work();
  const out = process.stderr;
  const boards = new Map<string, PullBoard>();
  let drawn = 0;
  const lines = createInterface({ input: stream });
  lines.on('line', (line) => {
    let event: PullEvent;
    try {
      event = JSON.parse(line) as PullEvent;
    } catch {
      return;
    }
    if (!wanted.has(event.name) && !wanted.has(event.ref)) return;
    const board = boards.get(event.image) ?? [];
    if (!out.isTTY) {
      const update = renderPlainUpdate(board, event);
      if (update) out.write(`${event.name}: ${update}`);
      boards.set(event.image, updateBoard(board, event));
      return;
    }
    boards.set(event.image, updateBoard(board, event));
    const all = [...boards.values()].flat();
    out.write(renderTtyFrame(all, drawn, out.columns));
    drawn = all.length;
  });
  stream.on('error', () => undefined);
  try {
    return await work();
  } finally {
    lines.close();
    stream.destroy();
  }
}
