/** `spew status` as a table. */
import type { ApplianceState } from '../appliance/state.js';
import type { ApplianceStatus } from '../api/wire.js';
import { formatDuration } from '../common/duration.js';
import type { Paint, Style } from './style.js';
import { renderTable, tableWidth, type Cell, type Column } from './table.js';

const STATE_STYLE: Record<ApplianceState, Style> = {
  running: 'green',
  starting: 'yellow',
  waiting: 'yellow',
  stopping: 'yellow',
  crashed: 'red',
  failed: 'red',
  stopped: 'dim',
};

const COLUMNS: Column[] = [
  { header: 'NAME' },
  { header: 'REF' },
  { header: 'TYPE' },
  { header: 'STATE' },
  { header: 'PID', align: 'right' },
  { header: 'UPTIME' },
  { header: 'RESTARTS', align: 'right' },
  { header: 'LAST EXIT' },
];
const REASON: Column = { header: 'REASON' };

export interface StatusTableOptions {
  paint: Paint;
  /** The terminal's width; REASON is left out when it would not fit. Undefined: no limit. */
  width?: number;
}

export function renderStatusTable(appliances: readonly ApplianceStatus[], options: StatusTableOptions): string {
  const rows = appliances.map(statusRow);
  const withReason = [...COLUMNS, REASON];
  const reasonRows = rows.map((row, i) => [...row, { text: appliances[i]?.reason ?? '' }]);
  const fits = options.width === undefined || tableWidth(withReason, reasonRows) <= options.width;
  return fits
    ? renderTable(withReason, reasonRows, options.paint)
    : renderTable(COLUMNS, rows, options.paint);
}

function statusRow(a: ApplianceStatus): Cell[] {
  return [
    { text: a.name },
    { text: a.ref },
    { text: a.type },
    { text: a.state, style: STATE_STYLE[a.state] },
    { text: a.pid === null ? '-' : String(a.pid) },
    { text: a.uptime_ms === null ? '-' : formatDuration(a.uptime_ms) },
    { text: String(a.restarts) },
    { text: a.last_exit ?? '-' },
  ];
}

/** The style of a state, for the one-line answers of start, stop and the like. */
export function stateStyle(state: ApplianceState | 'removed'): Style {
  return state === 'removed' ? 'dim' : STATE_STYLE[state];
}
