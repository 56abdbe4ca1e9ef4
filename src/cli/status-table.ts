/** `spew status` as a table. */
import type { ApplianceState } from '../model/appliance-state.js';
import type { ApplianceStatus } from '../model/appliance-status.js';
import { formatDuration } from '../common/duration.js';
import type { Paint, Style } from './style.js';
import { renderTable, tableWidth, type Cell, type Column } from './table.js';

const STATE_STYLE: Record<ApplianceState, Style> = {
  running: 'green',
  alive: 'yellow',
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
  { header: 'VER', align: 'right' },
  { header: 'PID', align: 'right' },
  { header: 'UPTIME' },
  { header: 'RESTARTS', align: 'right' },
  { header: 'LIMIT' },
  { header: 'LAST EXIT' },
];
const REASON: Column = { header: 'REASON' };
/** Only when a container is listed: a shell appliance has no image. */
const IMAGE: Column = { header: 'IMAGE' };

export interface StatusTableOptions {
  paint: Paint;
  /** The terminal's width; REASON is left out when it would not fit. Undefined: no limit. */
  width?: number;
}

/** Its process runs an older version than its definition: changed, not restarted. */
function stale(a: ApplianceStatus): boolean {
  return a.running_version !== null && a.running_version < a.version;
}

export function renderStatusTable(appliances: readonly ApplianceStatus[], options: StatusTableOptions): string {
  const table = renderRows(appliances, options);
  return appliances.some(stale)
    ? `${table}\n${options.paint('* runs an older version than its definition: spew diff NAME shows what changed, spew restart NAME applies it', 'yellow')}`
    : table;
}

function renderRows(appliances: readonly ApplianceStatus[], options: StatusTableOptions): string {
  const images = appliances.some((a) => a.image !== null);
  const columns = images ? [...COLUMNS, IMAGE] : COLUMNS;
  const rows = appliances.map((a) => (images ? [...statusRow(a), { text: a.image ?? '-' }] : statusRow(a)));
  const withReason = [...columns, REASON];
  const reasonRows = rows.map((row, i) => [...row, { text: reasonText(appliances[i] as ApplianceStatus) }]);
  const fits = options.width === undefined || tableWidth(withReason, reasonRows) <= options.width;
  return fits
    ? renderTable(withReason, reasonRows, options.paint)
    : renderTable(columns, rows, options.paint);
}

function statusRow(a: ApplianceStatus): Cell[] {
  return [
    { text: a.name },
    { text: a.ref },
    { text: a.type },
    { text: a.state, style: STATE_STYLE[a.state] },
    stale(a) ? { text: `${a.running_version}*`, style: 'yellow' } : { text: String(a.version) },
    { text: a.pid === null ? '-' : String(a.pid) },
    { text: a.uptime_ms === null ? '-' : formatDuration(a.uptime_ms) },
    { text: String(a.restarts) },
    { text: limitText(a) },
    { text: a.last_exit ?? '-' },
  ];
}

/** Restarts used against the limit: `3 of 5 in 1m`, or `3 of 5` for a limit with no window. */
function limitText(a: ApplianceStatus): string {
  const limit = a.restart_limit;
  if (!limit) return '-';
  return `${limit.used} of ${limit.limit}${limit.window_ms === null ? '' : ` in ${formatDuration(limit.window_ms)}`}`;
}

/** Why it is in its state, led by when the next attempt comes while one is scheduled. */
function reasonText(a: ApplianceStatus): string {
  if (a.next_start_in_ms === null) return a.reason;
  const budget = a.restart_limit ? `, ${a.restart_limit.used} of ${a.restart_limit.limit}` : '';
  return `next try in ${formatDuration(a.next_start_in_ms)}${budget}; ${a.reason}`;
}

/** The style of a state, for the one-line answers of start, stop and the like. */
export function stateStyle(state: ApplianceState | 'removed'): Style {
  return state === 'removed' ? 'dim' : STATE_STYLE[state];
}
