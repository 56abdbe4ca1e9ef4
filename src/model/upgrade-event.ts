/** How a container appliance moves to a new image, and what its event log says of it. */

export type UpgradeStrategy = 'start-first' | 'stop-first';

/** What an upgrade puts in the event log; `upgrade` and `rollback` also run the `upgrade` hooks. */
export type UpgradeEvent =
  | { kind: 'upgrade-begin'; from: string | null; to: string; strategy: UpgradeStrategy }
  | { kind: 'upgrade'; from: string | null; to: string; strategy: UpgradeStrategy }
  | { kind: 'rollback'; from: string; to: string | null; reason: string };
