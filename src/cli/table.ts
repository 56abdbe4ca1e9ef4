/**
 * Aligned text columns. Cells carry their style separately from their text, so the padding is
 * computed on what the reader sees and escape codes never shift a column.
 */
import type { Paint, Style } from './style.js';

export interface Cell {
  text: string;
  style?: Style;
}

export interface Column {
  header: string;
  /** Numbers read better aligned on their last digit. */
  align?: 'left' | 'right';
}

const GAP = '  ';

/** The width of the table's widest line, for deciding whether an optional column fits. */
export function tableWidth(columns: readonly Column[], rows: readonly (readonly Cell[])[]): number {
  return columnWidths(columns, rows).reduce((sum, w) => sum + w, 0) + GAP.length * (columns.length - 1);
}

export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly Cell[])[],
  paint: Paint,
): string {
  const widths = columnWidths(columns, rows);
  const line = (cells: readonly Cell[]): string =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        const last = i === cells.length - 1;
        const pad = ' '.repeat(width - cell.text.length);
        const text = paint(cell.text, cell.style);
        if (columns[i]?.align === 'right') return pad + text;
        // No trailing blanks after the last column.
        return last ? text : text + pad;
      })
      .join(GAP);
  const header = columns.map((c) => ({ text: c.header }));
  return [header, ...rows].map(line).join('\n');
}

function columnWidths(columns: readonly Column[], rows: readonly (readonly Cell[])[]): number[] {
  return columns.map((column, i) =>
    rows.reduce((max, row) => Math.max(max, row[i]?.text.length ?? 0), column.header.length),
  );
}
