/**
 * One held HTTP/1.1 connection for one watcher: a prebuilt request written to a kept-alive
 * socket, and just enough of a response parser to judge it (status line, Content-Length,
 * chunked framing) and to know when the connection is free again.
 *
 * Why not node:http: at a thousand watchers every 5 s its per-request objects (ClientRequest,
 * IncomingMessage, agent bookkeeping) cost about 250 µs a check, which put 1000 watchers right
 * at the 5 % CPU budget; a write and a small parse cost a fraction of that. TLS and anything
 * unusual stay with node:http (see http-check.ts).
 */
import { connect, type Socket } from 'node:net';

export interface Http1Answer {
  status: number;
  /** The body, up to `bodyLimit`, when it was asked for. */
  body?: string;
}

export type Http1Outcome =
  | { kind: 'answer'; answer: Http1Answer }
  | { kind: 'error'; message: string; /** the connection failed before any byte came back */ stale: boolean }
  | { kind: 'timeout' };

interface Exchange {
  wantBody: boolean;
  headOnly: boolean;
  settle: (outcome: Http1Outcome) => void;
  received: boolean;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class Http1Connection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private exchange: Exchange | undefined;
  /** Bytes of body still to come (Content-Length), 'chunked', 'until-close', or 0 when free. */
  private remaining: number | 'chunked' | 'until-close' = 0;
  private status = 0;
  private body: Buffer[] = [];
  private bodySize = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly bodyLimit: number,
  ) {}

  /** Sends the request and reads the answer; a busy or broken connection is replaced first. */
  send(request: Buffer, options: { wantBody: boolean; headOnly: boolean; timeoutMs: number }): Promise<Http1Outcome> {
    // A connection still reading an earlier body (a verdict came early) is not worth waiting for.
    if (this.socket && (this.exchange || this.remaining !== 0)) this.drop();
    const reused = this.socket !== undefined;
    const socket = this.socket ?? this.open();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.drop();
        finish({ kind: 'timeout' });
      }, options.timeoutMs);
      const finish = (outcome: Http1Outcome): void => {
        clearTimeout(timer);
        resolve(outcome);
      };
      this.exchange = {
        wantBody: options.wantBody,
        headOnly: options.headOnly,
        received: false,
        settle: (outcome) => {
          this.exchange = undefined;
          // A reused connection the server had closed fails before any answer: say so, so the
          // check can try once more on a fresh one.
          if (outcome.kind === 'error' && !reused) outcome.stale = false;
          finish(outcome);
        },
      };
      socket.write(request);
    });
  }

  close(): void {
    this.drop();
  }

  private open(): Socket {
    const socket = connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(socket, err.message));
    socket.on('close', () => this.fail(socket, 'connection closed before a full answer'));
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.remaining = 0;
    return socket;
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.remaining = 0;
    socket?.destroy();
  }

  private fail(socket: Socket, message: string): void {
    if (socket !== this.socket) return;
    const exchange = this.exchange;
    if (this.remaining === 'until-close' && exchange) {
      this.socket = undefined;
      this.remaining = 0;
      this.answer();
      return;
    }
    this.socket = undefined;
    this.remaining = 0;
    exchange?.settle({ kind: 'error', message, stale: !exchange.received });
  }

  private onData(chunk: Buffer): void {
    if (this.exchange) this.exchange.received = true;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.remaining === 0) {
      if (!this.exchange) {
        // Bytes nobody asked for: the connection is out of step; start afresh next time.
        this.drop();
        return;
      }
      if (!this.readHead()) return;
    }
    this.readBody();
  }

  /** Parses the status line and framing headers; false until the whole head has come. */
  private readHead(): boolean {
    const end = this.buffer.indexOf(HEADER_END);
    if (end < 0) return false;
    const head = this.buffer.toString('latin1', 0, end);
    this.buffer = this.buffer.subarray(end + 4);
    const match = /^HTTP\/1\.([01]) (\d{3})/.exec(head);
    const exchange = this.exchange as Exchange;
    if (!match) {
      this.drop();
      exchange.settle({ kind: 'error', message: 'not an HTTP/1.x answer', stale: false });
      return false;
    }
    this.status = Number(match[2]);
    const headers = head.toLowerCase();
    const length = /\r\ncontent-length:\s*(\d+)/.exec(headers);
    const noBody = exchange.headOnly || this.status === 204 || this.status === 304 || this.status < 200;
    if (noBody) this.remaining = 0;
    else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(headers)) this.remaining = 'chunked';
    else if (length) this.remaining = Number(length[1]);
    else this.remaining = 'until-close';
    if (match[1] === '0' || /\r\nconnection:\s*close/.test(headers)) this.remaining = this.remaining === 0 ? 0 : 'until-close';
    this.body = [];
    this.bodySize = 0;
    // Without a text to look for, the status is the verdict: answer now, read the rest after.
    if (!exchange.wantBody) exchange.settle({ kind: 'answer', answer: { status: this.status } });
    if (this.remaining === 0 && exchange.wantBody) this.answer();
    return true;
  }

  private readBody(): void {
    while (this.buffer.length > 0 && this.remaining !== 0) {
      if (typeof this.remaining === 'number') {
        const take = Math.min(this.remaining, this.buffer.length);
        this.keep(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) this.answer();
      } else if (this.remaining === 'until-close') {
        this.keep(this.buffer);
        this.buffer = Buffer.alloc(0);
      } else if (!this.readChunk()) {
        return;
      }
      if (this.bodySize >= this.bodyLimit) {
        // Enough to judge; the rest is not worth reading, and the connection goes with it.
        this.answer();
        this.drop();
        return;
      }
    }
  }

  /** Reads one chunk of a chunked body; false until it has fully come. */
  private readChunk(): boolean {
    const lineEnd = this.buffer.indexOf('\r\n');
    if (lineEnd < 0) return false;
    const size = Number.parseInt(this.buffer.toString('latin1', 0, lineEnd), 16);
    if (size === 0) {
      // The last chunk; an empty trailer ends the body.
      const end = this.buffer.indexOf(HEADER_END, lineEnd);
      if (end < 0) return false;
      this.buffer = this.buffer.subarray(end + 4);
      this.remaining = 0;
      this.answer();
      return true;
    }
    if (this.buffer.length < lineEnd + 2 + size + 2) return false;
    this.keep(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    this.buffer = this.buffer.subarray(lineEnd + 2 + size + 2);
    return true;
  }

  private keep(part: Buffer): void {
    if (this.exchange?.wantBody && this.bodySize < this.bodyLimit) this.body.push(part.subarray(0, this.bodyLimit - this.bodySize));
    this.bodySize += part.length;
  }

  /** The body is complete (or enough of it): settle an exchange still waiting for it. */
  private answer(): void {
    const exchange = this.exchange;
    if (!exchange) return;
    const body = Buffer.concat(this.body).toString('utf8');
    exchange.settle({ kind: 'answer', answer: { status: this.status, body } });
  }
}
