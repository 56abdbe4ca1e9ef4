/** `spew hosts` as a table: each member with its liveness, labels, version and appliances. */
import { formatDuration } from '../common/duration.js';
import type { ClusterHost, ClusterLink } from '../model/cluster.js';
import type { Paint } from './style.js';
import { renderTable, type Cell } from './table.js';

const COLUMNS = [
  { header: 'HOST' },
  { header: 'STATE' },
  { header: 'APPLIANCES', align: 'right' as const },
  { header: 'RUNNING', align: 'right' as const },
  { header: 'VERSION' },
  { header: 'LABELS' },
  { header: 'JOINED' },
];

export function renderHostsTable(link: ClusterLink, hosts: readonly ClusterHost[], paint: Paint, now: number): string {
  const ago = (iso: string): string => `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago`;
  const rows = hosts.map((h): Cell[] => {
    const style = h.state === 'up' ? undefined : 'dim';
    const state: Cell = h.state === 'up'
      ? { text: 'up', style: 'green' }
      : { text: h.unreachable_since === null ? 'unreachable' : `unreachable since ${ago(h.unreachable_since)}`, style: 'red' };
    return [
      { text: h.name === link.host ? `${h.name} *` : h.name, style },
      state,
      { text: String(h.appliances.total), style },
      { text: String(h.appliances.running), style },
      { text: h.version, style },
      { text: Object.entries(h.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-', style },
      { text: ago(h.joined_at), style },
    ];
  });
  const standing = link.membership === 'joined' ? '' : `; ${link.membership}${link.detail ? `: ${link.detail}` : ''}`;
  return `${renderTable(COLUMNS, rows, paint)}\n${paint(`* this agent (cluster ${link.cluster}${standing})`, link.membership === 'joined' ? 'dim' : 'yellow')}`;
}
