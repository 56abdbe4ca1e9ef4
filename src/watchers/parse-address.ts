/** A `host:port` address as watchers and monitors write it. */
export interface HostPort {
  host: string;
  port: number;
}

const PORT = /^\d{1,5}$/;

/**
 * Splits `host:port`, `[v6]:port` or a bare `v6:port` (the port is after the last colon);
 * undefined when there is no host or no valid port.
 */
export function parseAddress(address: string): HostPort | undefined {
  const colon = address.lastIndexOf(':');
  const portText = address.slice(colon + 1);
  let host = address.slice(0, Math.max(colon, 0));
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(portText);
  if (colon < 0 || host === '' || !PORT.test(portText) || port < 1 || port > 65_535) return undefined;
  return { host, port };
}
