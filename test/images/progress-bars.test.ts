import { describe, expect, it } from 'vitest';
import type { LayerProgress } from '../../src/model/image-pull.js';
import {
  formatBytes,
  renderLayerLine,
  renderPlainUpdate,
  renderTtyFrame,
  updateBoard,
  type PullBoard,
} from '../../src/images/progress-bars.js';

const A = 'aaaaaaaaaaaa';
const B = 'bbbbbbbbbbbb';
const ev = (layer: string, status: LayerProgress['status'], current = 0, total: number | null = null): LayerProgress => ({
  layer,
  status,
  current,
  total,
});

describe('updateBoard', () => {
  it('keeps layers in the order they first appeared, replacing a layer in place', () => {
    let board: PullBoard = [];
    board = updateBoard(board, ev(A, 'waiting'));
    board = updateBoard(board, ev(B, 'waiting'));
    board = updateBoard(board, ev(A, 'downloading', 10, 100));
    expect(board).toEqual([ev(A, 'downloading', 10, 100), ev(B, 'waiting')]);
  });

  it('leaves the board it was given unchanged', () => {
    const board: PullBoard = [ev(A, 'waiting')];
    updateBoard(board, ev(A, 'done', 5, 5));
    expect(board).toEqual([ev(A, 'waiting')]);
  });
});

describe('renderLayerLine', () => {
  it.each([
    [ev(A, 'waiting'), `${A}  waiting`],
    [ev(A, 'downloading', 0, 1_064_365), `${A}  downloading  [>                             ]    0%  0 B / 1.1 MB`],
    [ev(A, 'downloading', 532_182, 1_064_365), `${A}  downloading  [==============>               ]   49%  532.2 kB / 1.1 MB`],
    [ev(A, 'extracting', 1_064_365, 1_064_365), `${A}  extracting   [==============================]  100%  1.1 MB / 1.1 MB`],
    [ev(A, 'downloading', 2_500, null), `${A}  downloading  2.5 kB`],
    [ev(A, 'done', 1_064_365, 1_064_365), `${A}  done         1.1 MB`],
    [ev(A, 'done', 0, null), `${A}  done`],
  ])('draws %j as %j', (event, line) => {
    expect(renderLayerLine(event, 200)).toBe(line);
  });

  it('never draws past the width', () => {
    expect(renderLayerLine(ev(A, 'downloading', 5, 10), 20)).toBe(`${A}  downlo`);
    expect(renderLayerLine(ev(A, 'downloading', 5, 10), 0)).toBe('');
  });

  it('clamps a count the engine reports past the total', () => {
    expect(renderLayerLine(ev(A, 'downloading', 150, 100), 200)).toContain('[==============================]  100%');
  });
});

describe('renderTtyFrame', () => {
  const board: PullBoard = [ev(A, 'downloading', 50, 100), ev(B, 'waiting')];

  it('draws the first frame without moving the cursor up', () => {
    expect(renderTtyFrame(board, 0, 200)).toBe(
      `\r\x1b[2K${renderLayerLine(board[0]!, 200)}\n\r\x1b[2K${B}  waiting\n`,
    );
  });

  it('moves up over the previous frame and clears every line it rewrites', () => {
    const frame = renderTtyFrame(board, 1, 200);
    expect(frame.startsWith('\x1b[1A')).toBe(true);
    expect(frame.split('\x1b[2K')).toHaveLength(3);
    expect(frame.endsWith('\n')).toBe(true);
  });
});

describe('renderPlainUpdate', () => {
  it('writes a line only when a layer changes state', () => {
    let board: PullBoard = [];
    const lines: string[] = [];
    for (const event of [
      ev(A, 'waiting'),
      ev(A, 'downloading', 10, 1_000_000),
      ev(A, 'downloading', 500_000, 1_000_000),
      ev(B, 'done', 300, 300),
      ev(A, 'extracting', 1_000, 1_000_000),
      ev(A, 'extracting', 1_000_000, 1_000_000),
      ev(A, 'done', 1_000_000, 1_000_000),
    ]) {
      const line = renderPlainUpdate(board, event);
      if (line !== undefined) lines.push(line);
      board = updateBoard(board, event);
    }
    expect(lines.join('')).toBe(
      [
        `${A}: waiting`,
        `${A}: downloading (1.0 MB)`,
        `${B}: done (300 B)`,
        `${A}: extracting (1.0 MB)`,
        `${A}: done (1.0 MB)`,
        '',
      ].join('\n'),
    );
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1_000, '1.0 kB'],
    [1_064_365, '1.1 MB'],
    [2_500_000_000, '2.5 GB'],
    [3e15, '3000.0 TB'],
  ])('writes %i as %j', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});
