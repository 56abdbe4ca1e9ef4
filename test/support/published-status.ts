/** A status as a host publishes it, for the cluster tests: `name` in `state`, the rest plain. */
import type { ApplianceState } from '../../src/model/appliance-state.js';
import type { PublishedStatus } from '../../src/model/appliance-status.js';

export function publishedStatus(name: string, state: ApplianceState = 'stopped'): PublishedStatus {
  return {
    name, ref: 'a1b2c3d4e5f6', type: 'shell', state, reason: '', desired: state === 'stopped' ? 'stopped' : 'running', pid: null,
    restarts: 0, started_at: null, last_exit: null, restart_limit: null, image: null, version: 1, published_at: '2026-01-01T00:00:00.000Z',
  };
}
