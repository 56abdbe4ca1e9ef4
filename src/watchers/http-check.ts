/**
 * `type = "http"`: one request; a status in the range (and, when asked, a body holding the
 * text) is up, anything else down, no full answer within the timeout a timeout.
 *
 * Cost at scale: a thousand appliances checked every few seconds must stay cheap. Plain http
 * goes through a held connection of its own with a prebuilt request (http1-connection.ts);
 * https uses one shared keep-alive agent. A body is only kept when the spec asks for a text.
 */
import http from 'node:http';
import https from 'node:https';
import { Http1Connection } from './http1-connection.js';
import type { WatcherSpec } from '../model/watcher-spec.js';
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
  /** Plain http: the held connection and the request bytes it sends each time. */
  private readonly lean: { connection: Http1Connection; request: Buffer; headOnly: boolean } | undefined;

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
    const method = spec.method.toUpperCase();
    if (url.protocol === 'http:') {
      const auth = url.username
        ? `Authorization: Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}\r\n`
        : '';
      const request = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: spew-watcher\r\n${auth}Content-Length: 0\r\n\r\n`;
      this.lean = {
        connection: new Http1Connection(url.hostname.replace(/^\[(.*)\]$/, '$1'), Number(url.port || 80), BODY_LIMIT),
        request: Buffer.from(request, 'latin1'),
        headOnly: method === 'HEAD',
      };
    }
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
    if (this.lean) return this.runLean(this.lean, timeoutMs);
    const first = await this.attempt(this.request, timeoutMs, timeoutMs);
    // A pooled connection that the server closed just as we reused it fails with a reset
    // before the server saw the request; that race says nothing about the appliance, so it
    // gets one more try on a fresh connection within what is left of the timeout.
    const left = timeoutMs - (first.kind === 'stale' ? first.elapsedMs : 0);
    if (first.kind === 'stale' && left > 0) return (await this.attempt(this.request, left, timeoutMs)).result;
    return first.result;
  }

  private async runLean(lean: NonNullable<HttpCheck['lean']>, timeoutMs: number): Promise<CheckResult> {
    const started = Date.now();
    const options = { wantBody: this.spec.body !== undefined, headOnly: lean.headOnly };
    let outcome = await lean.connection.send(lean.request, { ...options, timeoutMs });
    const left = timeoutMs - (Date.now() - started);
    // As below: a kept-alive connection the server closed just as we reused it says nothing
    // about the appliance, so it gets one more try on a fresh connection.
    if (outcome.kind === 'error' && outcome.stale && left > 0) outcome = await lean.connection.send(lean.request, { ...options, timeoutMs: left });
    switch (outcome.kind) {
      case 'answer':
        return this.verdictOf(outcome.answer.status, outcome.answer.body);
      case 'error':
        return { outcome: 'down', detail: outcome.message };
      case 'timeout':
        return { outcome: 'timeout', detail: `no answer within ${timeoutMs}ms` };
    }
  }

  /** The verdict on a status and, when the spec looks for a text, the body read so far. */
  private verdictOf(status: number, body: string | undefined): CheckResult {
    const wanted = this.spec.body;
    const bad = this.badStatus(status);
    if (bad || wanted === undefined || body?.includes(wanted)) return bad ?? { outcome: 'up' };
    return { outcome: 'down', detail: `body does not contain ${JSON.stringify(wanted)}` };
  }

  private badStatus(status: number): CheckResult | undefined {
    const [low, high] = this.spec.status;
    return status < low || status > high ? { outcome: 'down', detail: `status ${status} (expected ${this.expect})` } : undefined;
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
    const wanted = this.spec.body;
    // The status alone decides when there is no text to look for, or when it is already bad.
    const bad = this.badStatus(res.statusCode ?? 0);
    if (bad) settle(bad);
    else if (wanted === undefined) settle({ outcome: 'up' });
    // Reading the rest lets the connection go back to the pool; a body past the limit is not
    // worth reading to its end, so its connection is dropped instead.
    const chunks: Buffer[] = [];
    let size = 0;
    const decide = (): void => settle(this.verdictOf(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
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
