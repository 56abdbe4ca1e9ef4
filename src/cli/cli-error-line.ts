import type { SpewError } from '../common/errors.js';

/** How the CLI words an API error on stderr: plain for the two everyday ones, coded otherwise. */
export function cliErrorLine(err: SpewError): string {
  const plain = err.code === 'AGENT_UNREACHABLE' || err.code === 'APPLIANCE_NOT_FOUND';
  return plain ? `spew: ${err.message}` : `spew: ${err.code}: ${err.message}`;
}
