/**
 * A small router for the agent's HTTP API: it serves route values (api/route.ts), each with a
 * handler of the route's kind: a JSON route's handler returns the answer, a stream's writes its
 * items, an upgrade's takes the socket over. Every failure becomes a JSON error with a stable
 * code, and nothing a client sends can throw past this layer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { patternOf, type AnyRoute, type JsonRoute, type PathParams, type StreamRoute, type UpgradeRoute } from '../api/route.js';
import type { ErrorBody } from '../api/wire.js';
import { SpewError, errorMessage } from '../common/errors.js';

/** A request's query, read by the names its route takes. */
export interface QueryReader<Query> {
  get(name: keyof Query & string): string | null;
  getAll(name: keyof Query & string): string[];
}

/** A flag of the query: set by `1` (what the client sends) or `true`. */
export function queryFlag<Query>(query: QueryReader<Query>, name: keyof Query & string): boolean {
  return ['1', 'true'].includes(query.get(name) ?? '');
}

interface ApiRequest<Path extends string, Query> {
  params: PathParams<Path>;
  query: QueryReader<Query>;
  body: unknown;
  req: IncomingMessage;
  res: ServerResponse;
}

interface StreamRequest<Path extends string, Query, Item> extends ApiRequest<Path, Query> {
  /** Sends the 200 with the route's content type; after it, a failure can only hang up. */
  open(): void;
  /** One item of the stream as it is written. */
  line(item: Item): string;
}

interface UpgradeRequest<Path extends string> {
  params: PathParams<Path>;
  req: IncomingMessage;
  socket: Socket;
  /** Sends the 101; after it, the socket is the handler's. */
  accept(): void;
}

/** What serves a route: its answer's type is the route's. */
type Handler<R extends AnyRoute> =
  R extends JsonRoute<infer P, infer Q, unknown, infer A> ? (request: ApiRequest<P, Q>) => Promise<A>
  : R extends StreamRoute<infer P, infer Q, infer I> ? (request: StreamRequest<P, Q, I>) => Promise<void>
  : R extends UpgradeRoute<infer P> ? (request: UpgradeRequest<P>) => void
  : never;

/** A handler as stored: the router calls it with the request its route's kind gets. */
type AnyHandler = (request: object) => unknown;

interface Served {
  route: AnyRoute;
  regex: RegExp;
  names: string[];
  handler: AnyHandler;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class HttpRouter {
  private readonly answering: Served[] = [];
  private readonly upgrading: Served[] = [];

  /**
   * `beforeAnswer` runs just before a JSON answer goes out, so that whatever the answer tells
   * (a state reached, an event) is already on disk when the client acts on it.
   */
  constructor(
    private readonly onInternalError: (err: unknown) => void,
    private readonly beforeAnswer: () => void = () => undefined,
  ) {}

  add<R extends AnyRoute>(route: R, handler: Handler<R>): void {
    const served = route.answers === 'upgrade' ? this.upgrading : this.answering;
    // A second handler for a route would never run: a mistake in the routes, not a request's.
    if (served.some((s) => s.route.method === route.method && s.route.path === route.path)) {
      throw new Error(`two handlers for ${route.method} ${route.path}`);
    }
    served.push({ route, ...patternOf(route), handler: handler as unknown as AnyHandler });
  }

  /**
   * Throws unless every route of `table` has a handler: a route the client may call and the
   * agent does not serve is found when the agent starts, not on a user's request.
   */
  requireAll(table: Record<string, AnyRoute>): void {
    const unserved = Object.entries(table).filter(([, route]) => !this.serves(route));
    if (unserved.length > 0) {
      throw new Error(`routes without a handler: ${unserved.map(([name, r]) => `${name} (${r.method} ${r.path})`).join(', ')}`);
    }
  }

  serves(route: AnyRoute): boolean {
    return [...this.answering, ...this.upgrading].some((s) => s.route === route);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://agent');
      const { served, params, pathKnown } = match(this.answering, req.method ?? 'GET', url.pathname);
      if (!served) {
        throw new SpewError('ROUTE_NOT_FOUND', pathKnown ? `${req.method} is not allowed on ${url.pathname}` : `no such path: ${url.pathname}`);
      }
      const body = await readJsonBody(req);
      const { route, handler } = served;
      if (route.answers === 'json') {
        const answer = await handler({ params, query: url.searchParams, body, req, res });
        this.prepareAnswer();
        sendJson(res, 200, answer);
        return;
      }
      const stream = route as StreamRoute;
      await handler({
        params,
        query: url.searchParams,
        body,
        req,
        res,
        open: () => void res.writeHead(200, { 'content-type': stream.contentType }),
        line: stream.answers === 'ndjson' ? (item: unknown) => `${JSON.stringify(item)}\n` : (item: unknown) => `${String(item)}\n`,
      });
    } catch (err) {
      const error = this.spewError(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      this.prepareAnswer();
      sendJson(res, error.httpStatus, errorBody(error));
    }
  }

  /** A connection upgrade: the route's handler takes the socket, or the client gets an error answer. */
  upgrade(req: IncomingMessage, socket: Socket): void {
    let accepted = false;
    try {
      const url = new URL(req.url ?? '/', 'http://agent');
      const { served, params } = match(this.upgrading, req.method ?? 'GET', url.pathname);
      if (!served) throw new SpewError('ROUTE_NOT_FOUND', `no such upgrade path: ${req.url ?? ''}`);
      const { protocol } = served.route as UpgradeRoute;
      const accept = (): void => {
        accepted = true;
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${protocol}\r\nConnection: Upgrade\r\n\r\n`);
      };
      served.handler({ params, req, socket, accept });
    } catch (err) {
      const error = this.spewError(err);
      if (accepted) {
        socket.destroy();
        return;
      }
      const body = JSON.stringify(errorBody(error));
      socket.end(`HTTP/1.1 ${error.httpStatus} Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    }
  }

  /** The error to answer; an INTERNAL one (or one that is not a SpewError) is a bug, and reported. */
  private spewError(err: unknown): SpewError {
    if (err instanceof SpewError && err.code !== 'INTERNAL') return err;
    this.onInternalError(err);
    if (err instanceof SpewError) return err;
    return new SpewError('INTERNAL', errorMessage(err), { cause: err });
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

/** The route served for a path, with its parameters decoded; `pathKnown` when only the method is wrong. */
function match(served: Served[], method: string, path: string): { served?: Served; params: Record<string, string>; pathKnown: boolean } {
  let pathKnown = false;
  for (const candidate of served) {
    const m = candidate.regex.exec(path);
    if (!m) continue;
    pathKnown = true;
    if (candidate.route.method === method) {
      return { served: candidate, params: Object.fromEntries(candidate.names.map((name, i) => [name, decodeSegment(m[i + 1]!)])), pathKnown };
    }
  }
  return { params: {}, pathKnown };
}

/** A path segment as the client meant it; a malformed %-escape is the client's mistake (400). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SpewError('INVALID_REQUEST', `malformed percent-encoding in the path: ${JSON.stringify(segment)}`);
  }
}

function errorBody(error: SpewError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
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
