/**
 * `spew status`, the one place it is done: used by the oclif command and by the fast path in
 * bin/run.js, which answers the plain forms without loading oclif (scripts run it in loops).
 */
import { ApiClient } from '../client/api-client.js';
import { locateSocket, type SocketFlags } from '../client/locate-socket.js';
import { renderStatusTable } from './status-table.js';
import { painter, shouldColour } from './style.js';

export interface StatusRequest extends SocketFlags {
  ids: string[];
  json: boolean;
}

export async function showStatus(request: StatusRequest): Promise<string> {
  const socket = await locateSocket(request, process.env, process.getuid?.() ?? 0);
  const { appliances, docker, warnings = [] } = await new ApiClient(socket).statusAnswer(request.ids);
  if (request.json) return JSON.stringify(appliances, null, 2);
  const width = process.stdout.isTTY ? process.stdout.columns : undefined;
  const paint = painter(shouldColour(process.stdout, process.env));
  const lines = [renderStatusTable(appliances, { paint, width })];
  // An engine that is down is a state of the host, shown with what depends on it.
  if (docker?.state === 'unreachable') lines.push(paint(`docker: unreachable (${docker.detail})`, 'red'));
  for (const warning of warnings) lines.push(paint(`warning: ${warning}`, 'yellow'));
  return lines.join('\n');
}

/**
 * Reads `status [ID...] [--json] [--socket PATH] [--config FILE]` and nothing else; anything
 * more (help, an unknown flag, `--socket=PATH`) is left to oclif, which answers it properly.
 */
export function plainStatusRequest(argv: readonly string[]): StatusRequest | undefined {
  if (argv[0] !== 'status') return undefined;
  const request: StatusRequest = { ids: [], json: false };
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--json') request.json = true;
    else if ((word === '--socket' || word === '--config') && argv[i + 1] !== undefined) request[word.slice(2) as 'socket' | 'config'] = argv[++i];
    else if (word.startsWith('-')) return undefined;
    else request.ids.push(word);
  }
  return request;
}
