/**
 * Names and refs unique beyond this host: a cluster's agent holds each of its appliances' name
 * and ref in the cluster (cluster/name-registry.ts), so no two hosts make the same. A single
 * host has none of this: its registry alone keeps names unique.
 */
export interface NamedRef {
  name: string;
  ref: string;
}

export interface NameReservations {
  /**
   * Before a create makes the appliance: NAME_TAKEN when another host holds the name or the
   * ref. When the cluster cannot be asked, the create goes on and the name is held later.
   */
  reserve(appliance: NamedRef): Promise<void>;
  /** A create that reserved and then failed: what it held is given back. */
  cancel(appliance: NamedRef): void;
  /** The appliances this host has now (after boot and every change): the rest is given back. */
  sync(appliances: NamedRef[]): void;
}
