/**
 * `type = "tcp"`: a connection to host:port that opens is up; refused, reset or unreachable is
 * down; no answer to the handshake within the timeout is a timeout. The connection is closed
 * at once, so the check costs the appliance one accept.
 */
import { connect } from 'node:net';
import { parseAddress, type HostPort } from './parse-address.js';
import type { CheckResult, WatcherCheck } from './watcher-check.js';

export class TcpCheck implements WatcherCheck {
  private readonly target: HostPort | undefined;

  constructor(private readonly address: string) {
    this.target = parseAddress(address);
  }

  run(timeoutMs: number): Promise<CheckResult> {
    const target = this.target;
    if (!target) return Promise.resolve({ outcome: 'down', detail: `invalid address ${JSON.stringify(this.address)}` });
    return new Promise((resolve) => {
      const socket = connect(target);
      const finish = (result: CheckResult): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(
        () => finish({ outcome: 'timeout', detail: `no connection to ${this.address} within ${timeoutMs}ms` }),
        timeoutMs,
      );
      socket.once('connect', () => finish({ outcome: 'up' }));
      socket.on('error', (err) => finish({ outcome: 'down', detail: err.message }));
    });
  }
}
