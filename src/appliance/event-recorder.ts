/** What happened to appliances, into the event log (events.log, `spew events`), timed by the injected clock. */
import type { Clock } from '../common/clock.js';
import type { EventRecord } from '../model/appliance-status.js';
import type { EventLog } from '../store/event-log.js';
import type { Appliance } from './appliance.js';

export class EventRecorder {
  constructor(
    private readonly log: EventLog,
    private readonly clock: Clock,
  ) {}

  record(appliance: Appliance, event: EventRecord['event'], state: EventRecord['state'] = appliance.state): void {
    this.log.append({ time: new Date(this.clock.now()).toISOString(), ref: appliance.ref, name: appliance.name, event, state });
  }
}
