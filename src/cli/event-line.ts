/** One event log record as a line of `spew events`: `TIME [HOST] NAME EVENT -> STATE`. */
import { describeExit, type ExitReason } from '../model/appliance-state.js';
import type { SkippedRecords } from '../api/wire.js';
import type { EventRecord } from '../model/appliance-status.js';
import type { HostedEvent } from '../model/cluster.js';
import type { Paint } from './style.js';
import { stateStyle } from './status-table.js';

export function renderEvent(record: EventRecord | HostedEvent | SkippedRecords, paint: Paint): string {
  if ('skipped' in record) return paint(`... ${record.skipped} event(s) skipped here: this reader fell behind (spew events -t shows them)`, 'yellow');
  const host = 'host' in record ? `${record.host} ` : '';
  return `${record.time} ${host}${record.name} ${describeEvent(record.event)} -> ${paint(record.state, stateStyle(record.state))}`;
}

/** The kind, then its facts: `started pid=4242`, `crash (exit 1)`. */
function describeEvent({ kind, ...facts }: EventRecord['event']): string {
  const details = Object.entries(facts).map(([key, value]) =>
    key === 'reason' && isExitReason(value) ? `(${describeExit(value)})` : `${key}=${format(value)}`,
  );
  return [kind, ...details].join(' ');
}

function isExitReason(value: unknown): value is ExitReason {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

function format(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
