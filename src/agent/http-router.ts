/**
 * A small router for the agent's HTTP API: routes are (method, path pattern, handler); a
 * handler returns the JSON answer or takes over the response to stream. Every failure becomes
 * a JSON error with a stable code, and nothing a client sends can throw past this layer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorBody } from '../api/wire.js';
import { SpewError, errorMessage } from '../common/errors.js';

export interface ApiRequest {
  params: string[];
  query: URLSearchParams;
  body: unknown;
  req: IncomingMessage;
  res: ServerResponse;
}

/** Marks an answer the handler has already written (a stream). */
export const STREAMED = Symbol('streamed');
export type Handler = (request: ApiRequest) => Promise<unknown>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class HttpRouter {
  private readonly routes: Route[] = [];

  /**
   * `beforeAnswer` runs just before a JSON answer goes out, so that whatever the answer tells
   * (a state reached, an event) is already on disk when the client acts on it.
   */
  constructor(
    private readonly onInternalError: (err: unknown) => void,
    private readonly beforeAnswer: () => void = () => undefined,
  ) {}

  add(method: string, path: string, handler: Handler): void {
    // `:id` segments capture one path segment each.
    const pattern = new RegExp(`^${path.replace(/:[a-z]+/g, '([^/]+)')}$`);
    this.routes.push({ method, pattern, handler });
  }

  /** Finds the route for a path; `undefined` params when nothing matches. */
  match(method: string, path: string): { route?: Route; params: string[]; pathKnown: boolean } {
    let pathKnown = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (route.method === method) return { route, params: m.slice(1).map(decodeSegment), pathKnown };
    }
    return { params: [], pathKnown };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://agent');
      const { route, params, pathKnown } = this.match(req.method ?? 'GET', url.pathname);
      if (!route) {
        throw new SpewError('ROUTE_NOT_FOUND', pathKnown ? `${req.method} is not allowed on ${url.pathname}` : `no such path: ${url.pathname}`);
      }
      const body = await readJsonBody(req);
      const answer = await route.handler({ params, query: url.searchParams, body, req, res });
      if (answer === STREAMED) return;
      this.prepareAnswer();
      sendJson(res, 200, answer);
    } catch (err) {
      const spewError = err instanceof SpewError ? err : new SpewError('INTERNAL', errorMessage(err), { cause: err });
      if (spewError.code === 'INTERNAL') this.onInternalError(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body: ErrorBody = { error: { code: spewError.code, message: spewError.message } };
      this.prepareAnswer();
      sendJson(res, spewError.httpStatus, body);
    }
  }

  /** A failing `beforeAnswer` (a full disk) is reported, and the client still gets its answer. */
  private prepareAnswer(): void {
    try {
      this.beforeAnswer();
    } catch (err) {
      this.onInternalError(err);
    }
  }
}

/** A path segment as the client meant it; a malformed %-escape is the client's mistake (400). */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SpewError('INVALID_REQUEST', `malformed percent-encoding in the path: ${JSON.stringify(segment)}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new SpewError('INVALID_REQUEST', `request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new SpewError('INVALID_REQUEST', `request body is not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
}
