/**
 * Where a new appliance goes: the host named, or among the live hosts whose labels hold every
 * constraint, the one with the fewest appliances (then by name, so two askers at once choose
 * alike).
 */
import { SpewError } from '../common/errors.js';
import type { ClusterHost } from '../model/cluster.js';

export interface Placement {
  host?: string;
  /** Labels the host must have, each with this value. */
  constraint: Record<string, string>;
}

const shown = (labels: Record<string, string>): string => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

export function choosePlacement(hosts: readonly ClusterHost[], want: Placement): string {
  const fits = (h: ClusterHost): boolean => Object.entries(want.constraint).every(([k, v]) => h.labels[k] === v);
  if (want.host !== undefined) {
    const named = hosts.find((h) => h.name === want.host);
    if (!named) throw new SpewError('INVALID_REQUEST', `no host named ${want.host} in the cluster`);
    if (named.state !== 'up') throw new SpewError('HOST_UNREACHABLE', `host ${want.host} is unreachable (its lease has expired): nothing can be placed there now`);
    if (!fits(named)) throw new SpewError('INVALID_REQUEST', `host ${want.host} does not have the labels ${shown(want.constraint)}`);
    return named.name;
  }
  const candidates = hosts.filter((h) => h.state === 'up' && fits(h));
  candidates.sort((a, b) => a.appliances.total - b.appliances.total || (a.name < b.name ? -1 : 1));
  const chosen = candidates[0];
  if (!chosen) throw new SpewError('INVALID_REQUEST', `no live host has the labels ${shown(want.constraint)}`);
  return chosen.name;
}
