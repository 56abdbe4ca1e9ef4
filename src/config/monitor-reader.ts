/**
 * Reads an appliance's `[[NAME.monitors]]`: connections spew holds open to notice the moment
 * an appliance goes away.
 *
 *   [[web.monitors]]
 *   type = "tcp"                                   # the only type, and the default
 *   address = "127.0.0.1:6379"                     # required
 *   heartbeat = { send = "PING\n", interval = "5s" }   # optional; interval defaults to 5s
 */
import type { MonitorSpec } from '../model/watcher-spec.js';
import {
  checkKeys,
  expectedOneOf,
  readAddress,
  readDuration,
  readNonEmptyString,
  readTable,
  readTableArray,
  trackProblems,
  type Path,
  type Report,
} from './value-readers.js';

const MONITOR_TYPES: readonly MonitorSpec['type'][] = ['tcp'];
const MONITOR_KEYS = ['type', 'address', 'heartbeat'];
const HEARTBEAT_KEYS = ['send', 'interval'];
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;

/** `[[NAME.monitors]]`, an array of tables; undefined after reporting when anything is wrong. */
export function readMonitors(value: unknown, path: Path, report: Report): MonitorSpec[] | undefined {
  return readTableArray(value, path, report, 'monitor tables ([[NAME.monitors]])', readMonitor);
}

function readMonitor(value: unknown, path: Path, report: Report): MonitorSpec | undefined {
  const table = readTable(value, path, report, 'a monitor table');
  if (!table) return undefined;
  const checked = trackProblems(report);
  const at = (key: string): Path => [...path, key];
  checkKeys(table, path, MONITOR_KEYS, checked.report);

  if (table.type !== undefined && !MONITOR_TYPES.includes(table.type as MonitorSpec['type'])) {
    checked.report(at('type'), expectedOneOf(MONITOR_TYPES, table.type));
  }
  let address: string | undefined;
  if (table.address === undefined) checked.report(at('address'), 'missing: give the "host:port" to connect to');
  else address = readAddress(table.address, at('address'), checked.report);
  const heartbeat = table.heartbeat === undefined ? undefined : readHeartbeat(table.heartbeat, at('heartbeat'), checked.report);

  if (checked.failed() || address === undefined) return undefined;
  return { type: 'tcp', address, ...(heartbeat && { heartbeat }) };
}

function readHeartbeat(value: unknown, path: Path, report: Report): MonitorSpec['heartbeat'] {
  const table = readTable(value, path, report, 'a table like { send = "PING\\n", interval = "5s" }');
  if (!table) return undefined;
  const checked = trackProblems(report);
  checkKeys(table, path, HEARTBEAT_KEYS, checked.report);
  let send: string | undefined;
  if (table.send === undefined) checked.report([...path, 'send'], 'missing: give the text to write on the connection, e.g. "PING\\n"');
  else send = readNonEmptyString(table.send, [...path, 'send'], checked.report);
  const interval =
    table.interval === undefined
      ? DEFAULT_HEARTBEAT_INTERVAL_MS
      : readDuration(table.interval, [...path, 'interval'], checked.report, { positive: true });
  if (checked.failed() || send === undefined || interval === undefined) return undefined;
  return { send, interval_ms: interval };
}
