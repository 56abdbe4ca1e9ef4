/**
 * `spew status`, the one place it is done: used by the oclif command and by the fast path in
 * bin/run.js, which answers the plain forms without loading oclif (scripts run it in loops).
 */
import { ApiClient } from '../client/api-client.js';
import { locateSocket, type SocketFlags } from '../client/locate-socket.js';
import { renderClusterStatusTable, renderStatusTable } from './status-table.js';
import { painter, shouldColour } from './style.js';

export interface StatusRequest extends SocketFlags {
  ids: string[];
  json: boolean;
  /** On a cluster's agent: this host's appliances only, without asking the cluster. */
  local: boolean;
  /** On a cluster's agent: only these hosts' appliances. */
  hosts: string[];
}

export async function showStatus(request: StatusRequest): Promise<string> {
  const socket = await locateSocket(request, process.env, process.getuid?.() ?? 0);
  const { appliances, docker, warnings = [], cluster } = await new ApiClient(socket).statusAnswer(request.ids, { local: request.local, hosts: request.hosts });
  if (request.json) {
    // On a cluster's agent each appliance says which host runs it.
    const listed = cluster
      ? [...appliances.map((a) => ({ host: cluster.link.host, host_state: 'up', ...a })), ...cluster.elsewhere]
      : appliances;
    return JSON.stringify(listed, null, 2);
  }
  const width = process.stdout.isTTY ? process.stdout.columns : undefined;
  const paint = painter(shouldColour(process.stdout, process.env));
  const lines = [cluster
    ? renderClusterStatusTable(cluster.link.host, appliances, cluster.elsewhere, { paint, width, now: Date.now() })
    : renderStatusTable(appliances, { paint, width })];
  if (cluster?.unreachable !== undefined) lines.push(paint(`cluster: unreachable, this host's appliances only (${cluster.unreachable})`, 'red'));
  else if (cluster && cluster.link.membership !== 'joined') lines.push(paint(`cluster: ${cluster.link.membership}${cluster.link.detail ? ` (${cluster.link.detail})` : ''}`, 'yellow'));
  // An engine that is down is a state of the host, shown with what depends on it.
  if (docker?.state === 'unreachable') lines.push(paint(`docker: unreachable (${docker.detail})`, 'red'));
  for (const warning of warnings) lines.push(paint(`warning: ${warning}`, 'yellow'));
  return lines.join('\n');
}

/**
 * Reads `status [ID...] [--json] [--local] [--host NAME]... [--socket PATH] [--config FILE]` and
 * nothing else; anything more (help, an unknown flag, `--socket=PATH`) is left to oclif, which
 * answers it properly.
 */
export function plainStatusRequest(argv: readonly string[]): StatusRequest | undefined {
  if (argv[0] !== 'status') return undefined;
  const request: StatusRequest = { ids: [], json: false, local: false, hosts: [] };
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--json') request.json = true;
    else if (word === '--local') request.local = true;
    else if (word === '--host' && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('-')) request.hosts.push(argv[++i] as string);
    else if ((word === '--socket' || word === '--config') && argv[i + 1] !== undefined) request[word.slice(2) as 'socket' | 'config'] = argv[++i];
    else if (word.startsWith('-')) return undefined;
    else request.ids.push(word);
  }
  // Both at once is a usage error, which oclif words.
  return request.local && request.hosts.length > 0 ? undefined : request;
}
