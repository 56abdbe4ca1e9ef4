/**
 * What a route of the API is: a method, a path pattern whose `:name` segments are parameters,
 * the query and body it takes and what it answers, as one typed value. The agent's router
 * serves route values and the client calls them, so both ends read the path from one place and
 * the compiler holds both to the same types. The table itself is in routes.ts.
 */

type Method = 'GET' | 'POST' | 'DELETE';

/** A query as the client gives it: a list repeats its name, a flag is sent only when set. */
export type QueryValues = Record<string, string | readonly string[] | number | boolean | undefined>;

/** The parameter names of a path pattern: `id` and `n` for `/things/:id/parts/:n`. */
type ParamName<Path extends string> = Path extends `${string}/:${infer Name}/${infer Rest}`
  ? Name | ParamName<`/${Rest}`>
  : Path extends `${string}/:${infer Name}`
    ? Name
    : never;

/** A value for each parameter of a path pattern, as the user typed it (not yet encoded). */
export type PathParams<Path extends string> = { [Name in ParamName<Path>]: string };

interface RouteBase<Path extends string> {
  readonly method: Method;
  readonly path: Path;
}

/** Answers one JSON body. */
export interface JsonRoute<Path extends string = string, Query extends QueryValues = QueryValues, Body = unknown, Answer = unknown>
  extends RouteBase<Path> {
  readonly answers: 'json';
  /** Types only, never set at run time: what the request and the answer carry. */
  readonly wire?: { query: Query; body: Body; answer: Answer };
}

/**
 * Answers a stream, item by item: `ndjson` items are JSON records one a line, `text` items are
 * text. The stream stays open as long as the route's answer has more to tell (a follower).
 */
export interface StreamRoute<Path extends string = string, Query extends QueryValues = QueryValues, Item = unknown>
  extends RouteBase<Path> {
  readonly answers: 'ndjson' | 'text';
  readonly contentType: string;
  /** Types only, never set at run time: what the query carries and what one item of the stream is. */
  readonly wire?: { query: Query; item: Item };
}

/** Answers `101 Switching Protocols` to `Upgrade: <protocol>`; the socket then carries raw bytes both ways. */
export interface UpgradeRoute<Path extends string = string> extends RouteBase<Path> {
  readonly answers: 'upgrade';
  readonly protocol: string;
}

export type AnyRoute = JsonRoute | StreamRoute | UpgradeRoute;

type NoQuery = Record<string, never>;

/**
 * Builds a route value; `query` and `body` only name types (each gives a builder of the new
 * types), the last call says how the route answers.
 */
class RouteBuilder<Path extends string, Query extends QueryValues, Body> {
  constructor(
    private readonly method: Method,
    private readonly path: Path,
  ) {}

  query<Q extends QueryValues>(): RouteBuilder<Path, Q, Body> {
    return new RouteBuilder(this.method, this.path);
  }

  body<B>(): RouteBuilder<Path, Query, B> {
    return new RouteBuilder(this.method, this.path);
  }

  json<Answer>(): JsonRoute<Path, Query, Body, Answer> {
    return { method: this.method, path: this.path, answers: 'json' };
  }

  ndjson<Item>(): StreamRoute<Path, Query, Item> {
    return { method: this.method, path: this.path, answers: 'ndjson', contentType: 'application/x-ndjson' };
  }

  text(contentType: string): StreamRoute<Path, Query, string> {
    return { method: this.method, path: this.path, answers: 'text', contentType };
  }

  upgrade(protocol: string): UpgradeRoute<Path> {
    return { method: this.method, path: this.path, answers: 'upgrade', protocol };
  }
}

export const get = <Path extends string>(path: Path): RouteBuilder<Path, NoQuery, never> => new RouteBuilder('GET', path);
export const post = <Path extends string>(path: Path): RouteBuilder<Path, NoQuery, never> => new RouteBuilder('POST', path);
export const del = <Path extends string>(path: Path): RouteBuilder<Path, NoQuery, never> => new RouteBuilder('DELETE', path);

const PARAM = /:([a-z]+)/g;

/** The path of `route` with each parameter filled in, encoded as one path segment. */
export function pathOf<Path extends string>(route: { path: Path }, params: PathParams<Path>): string {
  const values: Record<string, string> = params;
  return route.path.replace(PARAM, (_match, name: string) => encodeURIComponent(values[name] ?? ''));
}

/** `?a=1&b=x` for the values given, or nothing: `undefined` and `false` are left out, `true` is `1`. */
export function queryOf(query: QueryValues = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === false) continue;
    for (const one of typeof value === 'object' ? value : [value]) search.append(name, one === true ? '1' : String(one));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** What a route's pattern matches: the regular expression and the names of its parameters, in order. */
export function patternOf(route: { path: string }): { regex: RegExp; names: string[] } {
  const names = [...route.path.matchAll(PARAM)].map((m) => m[1]!);
  // Each parameter captures one path segment, still %-encoded.
  return { regex: new RegExp(`^${route.path.replace(PARAM, '([^/]+)')}$`), names };
}
