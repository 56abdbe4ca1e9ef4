/** The agent's own troubles while they last, for `spew status` (StatusAnswer.warnings). */
import type { EventLog } from '../store/event-log.js';
import type { StateStore } from '../store/state-store.js';
import type { Appliance } from './appliance.js';

export function agentWarnings(store: StateStore, events: EventLog, appliances: readonly Appliance[]): string[] {
  const found: string[] = [];
  const save = store.saveError;
  if (save) found.push(`the agent's state cannot be saved since ${save.since.toISOString()}: ${save.error}`);
  const log = events.writeError;
  if (log) {
    const dropped = log.dropped > 0 ? `, ${log.dropped} dropped` : '';
    found.push(`events.log cannot be written since ${log.since.toISOString()}: ${log.error}; ${log.waiting} record(s) waiting${dropped}`);
  }
  for (const appliance of appliances) {
    const lost = appliance.capture.lost;
    if (lost) found.push(`${appliance.name}: ${lost.lines} line(s) of output lost since ${lost.since.toISOString()}: ${lost.error}`);
  }
  return found;
}
