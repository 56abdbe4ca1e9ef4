/** `spew status` as a table. */
import { UP_STATES, type ApplianceState } from '../model/appliance-state.js';
import type { ApplianceStatus, PublishedStatus } from '../model/appliance-status.js';
import type { HostedStatus } from '../model/cluster.js';
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
/** Only on a cluster's agent. */
const HOST: Column = { header: 'HOST' };
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
  return withStaleNote(appliances, renderRows(appliances.map(localRow), options), options.paint);
}

/**
 * `spew status` on a cluster's agent: a HOST column, this host's appliances first (live), then
 * the others' as they last published them; those of an unreachable host are greyed, with the
 * age of their last word.
 */
export function renderClusterStatusTable(host: string, local: readonly ApplianceStatus[], elsewhere: readonly HostedStatus[], options: StatusTableOptions & { now: number }): string {
  const rows = [
    ...local.map((a) => ({ ...localRow(a), host })),
    ...elsewhere.map((a) => ({ ...remoteRow(a, options.now), host: a.host })),
  ];
  return withStaleNote(local, renderRows(rows, options), options.paint);
}

function withStaleNote(local: readonly ApplianceStatus[], table: string, paint: Paint): string {
  return local.some(stale)
    ? `${table}\n${paint('* runs an older version than its definition: spew diff NAME shows what changed, spew restart NAME applies it', 'yellow')}`
    : table;
}

/** What local and published rows share. */
type StatusFacts = Omit<PublishedStatus, 'published_at'>;

/** A row before it is laid out: the cells every row has, and what only some have. */
interface Row {
  cells: Cell[];
  image: string | null;
  reason: string;
  host?: string;
}

function renderRows(rows: readonly Row[], options: StatusTableOptions): string {
  const images = rows.some((r) => r.image !== null);
  const hosts = rows.some((r) => r.host !== undefined);
  const columns = [...(hosts ? [HOST] : []), ...COLUMNS, ...(images ? [IMAGE] : [])];
  const laid = rows.map((r) => [...(hosts ? [{ text: r.host ?? '-' }] : []), ...r.cells, ...(images ? [{ text: r.image ?? '-' }] : [])]);
  const withReason = [...columns, REASON];
  const reasonRows = laid.map((row, i) => [...row, { text: (rows[i] as Row).reason }]);
  const fits = options.width === undefined || tableWidth(withReason, reasonRows) <= options.width;
  return fits
    ? renderTable(withReason, reasonRows, options.paint)
    : renderTable(columns, laid, options.paint);
}

function localRow(a: ApplianceStatus): Row {
  return {
    cells: cells(a, {
      state: { text: a.state, style: STATE_STYLE[a.state] },
      version: stale(a) ? { text: `${a.running_version}*`, style: 'yellow' } : { text: String(a.version) },
      uptime_ms: a.uptime_ms,
    }),
    image: a.image,
    reason: reasonText(a),
  };
}

function remoteRow(a: HostedStatus, now: number): Row {
  const up = a.host_state === 'up';
  const uptime = up && a.started_at !== null && UP_STATES.has(a.state) ? Math.max(0, now - Date.parse(a.started_at)) : null;
  const age = formatDuration(Math.max(0, now - Date.parse(a.published_at)));
  const row = cells(a, {
    state: up ? { text: a.state, style: STATE_STYLE[a.state] } : { text: `${a.state}?`, style: 'dim' },
    version: { text: String(a.version) },
    uptime_ms: Number.isFinite(uptime) ? uptime : null,
  });
  return {
    cells: up ? row : row.map((c) => ({ ...c, style: 'dim' })),
    image: a.image,
    reason: up ? a.reason : `host unreachable: last heard of ${age} ago; ${a.reason}`,
  };
}

function cells(a: StatusFacts, shown: { state: Cell; version: Cell; uptime_ms: number | null }): Cell[] {
  return [
    { text: a.name },
    { text: a.ref },
    { text: a.type },
    shown.state,
    shown.version,
    { text: a.pid === null ? '-' : String(a.pid) },
    { text: shown.uptime_ms === null ? '-' : formatDuration(shown.uptime_ms) },
    { text: String(a.restarts) },
    { text: limitText(a) },
    { text: a.last_exit ?? '-' },
  ];
}

/** Restarts used against the limit: `3 of 5 in 1m`, or `3 of 5` for a limit with no window. */
function limitText(a: StatusFacts): string {
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
