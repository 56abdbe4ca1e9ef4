/**
 * `type = "http"`: one request; a status in the range (and, when asked, a body holding the
 * text) is up, anything else down, no full answer within the timeout a timeout.
 *
 * Cost at scale: a thousand appliances checked every few seconds must stay cheap, so all checks
 * share one keep-alive agent per protocol (a connection per appliance, reused between checks,
 * no handshake per check), the request options are built once per check, and a body is only
 * kept when the spec asks for a text in it.
 */
import http from 'node:http';
import https from 'node:https';
import type { WatcherSpec } from './watcher-spec.js';
import type { CheckResult, WatcherCheck } from './watcher-check.js';

type HttpSpec = Extract<WatcherSpec, { type: 'http' }>;

/** A health endpoint that answers more than this is judged on what came first. */
const BODY_LIMIT = 64 * 1024;

// LIFO hands back the most recently used socket, so idle extras age out on the server's
// keep-alive timeout instead of being kept warm by round-robin. Node keeps 256 idle sockets per
// host by default; a thousand watchers of one health endpoint firing together would then open
// hundreds of fresh connections to it every interval.
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo', maxFreeSockets: 4096 }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo', maxFreeSockets: 4096 }),
} as const;

type Protocol = keyof typeof AGENTS;

function isProtocol(protocol: string): protocol is Protocol {
  return protocol in AGENTS;
}

export class HttpCheck implements WatcherCheck {
  private readonly request: http.RequestOptions | undefined;
  private readonly invalid: string | undefined;
  private readonly send: typeof http.request = http.request;
  private readonly expect: string;

  constructor(private readonly spec: HttpSpec) {
    const [low, high] = spec.status;
    this.expect = low === high ? `${low}` : `${low}-${high}`;
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      this.invalid = `invalid URL ${JSON.stringify(spec.url)}`;
      return;
    }
    if (!isProtocol(url.protocol)) {
      this.invalid = `unsupported protocol ${url.protocol} in ${spec.url}`;
      return;
    }
    if (url.protocol === 'https:') this.send = https.request;
    this.request = {
      agent: AGENTS[url.protocol],
      method: spec.method.toUpperCase(),
      // URL keeps IPv6 literals in brackets; the socket layer wants them bare.
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      path: `${url.pathname}${url.search}`,
      headers: { 'user-agent': 'spew-watcher' },
      ...(url.username ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
    };
  }

  async run(timeoutMs: number): Promise<CheckResult> {
    if (!this.request) return { outcome: 'down', detail: this.invalid ?? 'invalid spec' };
    const first = await this.attempt(this.request, timeoutMs, timeoutMs);
    // A pooled connection that the server closed just as we reused it fails with a reset
    // before the server saw the request; that race says nothing about the appliance, so it
    // gets one more try on a fresh connection within what is left of the timeout.
    const left = timeoutMs - (first.kind === 'stale' ? first.elapsedMs : 0);
    if (first.kind === 'stale' && left > 0) return (await this.attempt(this.request, left, timeoutMs)).result;
    return first.result;
  }

  /** One request; `budgetMs` is what is left of the check's `timeoutMs`. */
  private attempt(
    options: http.RequestOptions,
    budgetMs: number,
    timeoutMs: number,
  ): Promise<{ kind: 'done'; result: CheckResult } | { kind: 'stale'; elapsedMs: number; result: CheckResult }> {
    const started = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: CheckResult, stale = false): void => {
        if (settled) return;
        settled = true;
        resolve(stale ? { kind: 'stale', elapsedMs: Date.now() - started, result } : { kind: 'done', result });
      };
      let req: http.ClientRequest;
      // The timer bounds the whole exchange, body included, and also reclaims a response that
      // is still trickling after the verdict (its connection is then not worth keeping).
      const timer = setTimeout(() => {
        settle({ outcome: 'timeout', detail: `no answer within ${timeoutMs}ms` });
        req.destroy();
      }, budgetMs);
      try {
        req = this.send(options, (res) => this.judge(req, res, settle));
      } catch (err) {
        clearTimeout(timer);
        settle({ outcome: 'down', detail: (err as Error).message });
        return;
      }
      req.on('error', (err: NodeJS.ErrnoException) => {
        settle({ outcome: 'down', detail: err.message }, req.reusedSocket && err.code === 'ECONNRESET');
      });
      req.on('close', () => {
        clearTimeout(timer);
        settle({ outcome: 'down', detail: 'connection closed before a full answer' });
      });
      req.end();
    });
  }

  private judge(req: http.ClientRequest, res: http.IncomingMessage, settle: (result: CheckResult) => void): void {
    const status = res.statusCode ?? 0;
    const [low, high] = this.spec.status;
    const wanted = this.spec.body;
    if (status < low || status > high) {
      settle({ outcome: 'down', detail: `status ${status} (expected ${this.expect})` });
    } else if (wanted === undefined) {
      settle({ outcome: 'up' });
    }
    // Reading the rest lets the connection go back to the pool; a body past the limit is not
    // worth reading to its end, so its connection is dropped instead.
    const chunks: Buffer[] = [];
    let size = 0;
    const decide = (): void => {
      if (wanted === undefined) return;
      const found = Buffer.concat(chunks).toString('utf8').includes(wanted);
      settle(found ? { outcome: 'up' } : { outcome: 'down', detail: `body does not contain ${JSON.stringify(wanted)}` });
    };
    res.on('data', (chunk: Buffer) => {
      if (wanted !== undefined) chunks.push(chunk.subarray(0, BODY_LIMIT - size));
      size += chunk.length;
      if (size >= BODY_LIMIT) {
        decide();
        req.destroy();
      }
    });
    res.on('end', decide);
    // A response cut short ends the request too; its 'close' above gives the verdict.
    res.on('error', () => undefined);
  }
}
