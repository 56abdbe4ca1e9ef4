/**
 * Pull progress as text, for the CLI: pure functions from layer events to what to write.
 *
 * On a terminal the whole board (one line per layer, in the order layers first appeared) is
 * redrawn in place: the cursor goes back up over the lines of the previous frame and each line
 * is cleared before it is written, so a line that got shorter leaves nothing behind. Elsewhere
 * (a log file, CI) redrawing would be noise, so a line is written only when a layer changes
 * state, never for byte counts.
 */
import type { LayerProgress } from '../model/image-pull.js';

/** The layers of one pull, in the order they first appeared. */
export type PullBoard = readonly LayerProgress[];

const BAR_WIDTH = 30;
const STATUS_WIDTH = 'downloading'.length;
const ESC = '\x1b[';

/** The board after an event: the layer's line replaced in place, or appended if new. */
export function updateBoard(board: PullBoard, event: LayerProgress): PullBoard {
  const at = board.findIndex((l) => l.layer === event.layer);
  if (at < 0) return [...board, event];
  return board.map((l, i) => (i === at ? event : l));
}

/** One layer's line: `id  status  [=====>    ]  42%  1.1 MB / 2.7 MB`, cut to `width`. */
export function renderLayerLine(p: LayerProgress, width = 80): string {
  const head = `${p.layer}  ${p.status.padEnd(STATUS_WIDTH)}`;
  let tail = '';
  if (p.status === 'done') {
    tail = p.total === null ? '' : `  ${formatBytes(p.total)}`;
  } else if (p.status !== 'waiting') {
    tail =
      p.total !== null && p.total > 0
        ? `  ${bar(p.current / p.total)}  ${percent(p.current / p.total)}  ${formatBytes(p.current)} / ${formatBytes(p.total)}`
        : `  ${formatBytes(p.current)}`;
  }
  return `${head}${tail}`.trimEnd().slice(0, Math.max(0, width));
}

/**
 * The text that turns the frame drawn before (of `previousLines` lines) into this board:
 * cursor up, then every line cleared and rewritten. The caller remembers `board.length` as the
 * next call's `previousLines`.
 */
export function renderTtyFrame(board: PullBoard, previousLines: number, width = 80): string {
  const up = previousLines > 0 ? `${ESC}${previousLines}A` : '';
  return up + board.map((l) => `\r${ESC}2K${renderLayerLine(l, width)}\n`).join('');
}

/**
 * For output that is not a terminal: the line to write for this event, or undefined when the
 * layer's state is the one already written (only its byte count moved).
 */
export function renderPlainUpdate(board: PullBoard, event: LayerProgress): string | undefined {
  const before = board.find((l) => l.layer === event.layer);
  if (before?.status === event.status) return undefined;
  const size = event.total !== null && event.total > 0 ? ` (${formatBytes(event.total)})` : '';
  return `${event.layer}: ${event.status}${size}\n`;
}

/** Decimal units, as the engine reports sizes (`1.064MB`). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function bar(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.floor(clamped * BAR_WIDTH);
  if (filled >= BAR_WIDTH) return `[${'='.repeat(BAR_WIDTH)}]`;
  return `[${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}]`;
}

function percent(fraction: number): string {
  return `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`.padStart(4);
}
