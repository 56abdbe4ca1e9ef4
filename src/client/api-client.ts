/**
 * The CLI's side of the API in `src/api/routes.ts`: HTTP+JSON over the agent's unix socket.
 *
 * Only node built-ins, the route table (plain values) and type imports here: every client
 * command loads this file, and `spew status` has to answer in well under a quarter of a second.
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import type { Duplex, Readable } from 'node:stream';
import { SpewError, type ErrorCode } from '../common/errors.js';
import { socketAccessHint } from './socket-access.js';
import { pathOf, queryOf, type JsonRoute, type PathParams, type QueryValues, type StreamRoute } from '../api/route.js';
import { routes } from '../api/routes.js';
import type { ActionAnswer, AgentAnswer, ApplyAnswer, ApplyRequest, CreateRequest, ErrorBody, DiffAnswer, EventsQuery, ExplainAnswer, HistoryAnswer, HostsAnswer, OrphansAnswer, RollbackAnswer, SkippedRecords, StatusAnswer, StopRequest, StreamQuery, UpgradeAnswer, UpgradeCheckAnswer } from '../api/wire.js';
import type { ApplianceStatus, EventRecord } from '../model/appliance-status.js';
import type { HostedEvent, HostedStatus } from '../model/cluster.js';

export interface AttachStreams {
  output: NodeJS.WritableStream;
  /** Omitted for `--no-stdin`: nothing is sent to the appliance. */
  input?: Readable;
}

export class ApiClient {
  constructor(readonly socketPath: string) {}

  /** Every appliance, or the ones named; an unknown name or ref is an APPLIANCE_NOT_FOUND error. */
  async status(ids: readonly string[] = []): Promise<ApplianceStatus[]> {
    return (await this.statusAnswer(ids)).appliances;
  }

  /**
   * The appliances with what the agent knows of the Docker engine, and on a cluster's agent those
   * of the other hosts (`hosts` to narrow, `local` for none).
   */
  async statusAnswer(ids: readonly string[] = [], where: { local?: boolean; hosts?: readonly string[] } = {}): Promise<StatusAnswer> {
    // The agent resolves the ids (it alone knows how refs are matched) and names the unknown one.
    return this.json(routes.status, {}, { query: { id: ids, host: where.hosts ?? [], local: where.local } });
  }

  /** The members of the agent's cluster. */
  async hosts(): Promise<HostsAnswer> {
    return this.json(routes.hosts, {});
  }

  /** Every pull's progress from now on, one PullEvent per line, until the stream is destroyed. */
  async pulls(): Promise<Readable> {
    return this.stream(routes.pulls, {});
  }

  async upgradeCheck(ids: readonly string[]): Promise<UpgradeCheckAnswer> {
    return this.json(routes.upgradeCheck, {}, { body: { ids } });
  }

  async upgrade(id: string, to?: string): Promise<UpgradeAnswer> {
    return this.applianceCall(id, () => this.json(routes.upgrade, { id }, { body: to === undefined ? {} : { to } }));
  }

  async history(id: string): Promise<HistoryAnswer> {
    return this.applianceCall(id, () => this.json(routes.history, { id }));
  }

  async diff(id: string, from?: number, to?: number): Promise<DiffAnswer> {
    return this.applianceCall(id, () => this.json(routes.diff, { id }, { query: { from, to } }));
  }

  async rollback(id: string, to?: number): Promise<RollbackAnswer> {
    return this.applianceCall(id, () => this.json(routes.rollback, { id }, { body: to === undefined ? {} : { to } }));
  }

  async explain(id: string): Promise<ExplainAnswer> {
    return this.applianceCall(id, () => this.json(routes.explain, { id }));
  }

  /** Appliance-file TOML of the appliances named (all when none). */
  async exportToml(ids: readonly string[], versions: boolean): Promise<string> {
    const body = await this.stream(routes.export, {}, { id: ids, versions });
    let text = '';
    for await (const chunk of body) text += String(chunk);
    return text;
  }

  async orphans(): Promise<OrphansAnswer> {
    return this.json(routes.orphans, {});
  }

  async create(request: CreateRequest): Promise<ApplianceStatus | HostedStatus> {
    return (await this.json(routes.create, {}, { body: request })).appliance;
  }

  async start(id: string): Promise<ApplianceStatus | HostedStatus> {
    return this.applianceAction(id, () => this.json(routes.start, { id }));
  }

  async stop(id: string, request: StopRequest = {}): Promise<ApplianceStatus | HostedStatus> {
    return this.applianceAction(id, () => this.json(routes.stop, { id }, { body: request }));
  }

  async restart(id: string): Promise<ApplianceStatus | HostedStatus> {
    return this.applianceAction(id, () => this.json(routes.restart, { id }));
  }

  /** Stops the appliance first (the agent does) and answers its last status. */
  async remove(id: string): Promise<ApplianceStatus | HostedStatus> {
    return this.applianceAction(id, () => this.json(routes.remove, { id }));
  }

  async apply(request: ApplyRequest): Promise<ApplyAnswer> {
    return this.json(routes.apply, {}, { body: request });
  }

  async agent(): Promise<AgentAnswer> {
    return this.json(routes.agent, {});
  }

  /** Asks the agent to exit at once and leave its appliances running for the next agent. */
  async handoff(): Promise<void> {
    await this.json(routes.handoff, {}, { body: {} });
  }

  /**
   * The event log as records; with `follow` it keeps yielding until the agent closes, and says
   * where a reader that fell behind missed some.
   */
  async *events(query: EventsQuery = {}): AsyncGenerator<EventRecord | HostedEvent | SkippedRecords> {
    const body = await this.stream(routes.events, {}, query);
    for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
      if (line !== '') yield JSON.parse(line) as EventRecord | HostedEvent | SkippedRecords;
    }
  }

  /** The captured lines of one appliance, as the raw text stream the agent sends. */
  async logs(id: string, query: StreamQuery = {}): Promise<Readable> {
    return this.applianceCall(id, () => this.stream(routes.logs, { id }, query));
  }

  /**
   * Attaches to an appliance: after the agent switches protocols, its bytes go to `output` and
   * `input` goes to the appliance. Resolves when the agent ends the session.
   */
  async attach(id: string, streams: AttachStreams): Promise<void> {
    const socket = await this.applianceCall(id, () =>
      new Promise<Duplex>((resolve, reject) => {
        const req = http.request({
          socketPath: this.socketPath,
          method: routes.attach.method,
          path: pathOf(routes.attach, { id }),
          headers: { Connection: 'Upgrade', Upgrade: routes.attach.protocol },
        });
        req.on('upgrade', (_res, upgraded, head) => {
          if (head.length > 0) streams.output.write(head);
          resolve(upgraded);
        });
        // A plain answer instead of 101 is the agent refusing: an error body.
        req.on('response', (res) => readJson(res).then(
          (body) => reject(answerError(res.statusCode, body)),
          reject,
        ));
        req.on('error', (err) => reject(this.transportError(err)));
        req.end();
      }));
    await new Promise<void>((resolve, reject) => {
      socket.pipe(streams.output, { end: false });
      // Input must not end the session: `spew attach </dev/null` still watches the output.
      streams.input?.pipe(socket, { end: false });
      socket.on('error', reject);
      socket.on('close', () => {
        streams.input?.unpipe(socket);
        // A paused stdin no longer holds the process open once the session is over.
        streams.input?.pause();
        resolve();
      });
    });
  }

  private async applianceAction(id: string, call: () => Promise<ActionAnswer>): Promise<ApplianceStatus | HostedStatus> {
    return this.applianceCall(id, async () => (await call()).appliance);
  }

  /** Words an APPLIANCE_NOT_FOUND answer with the id the user typed, whatever the agent said. */
  private async applianceCall<T>(id: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw err instanceof SpewError && err.code === 'APPLIANCE_NOT_FOUND' ? notFound(id) : err;
    }
  }

  private async json<Path extends string, Query extends QueryValues, Body, Answer>(
    route: JsonRoute<Path, Query, Body, Answer>,
    params: PathParams<Path>,
    { query, body }: { query?: Query; body?: Body } = {},
  ): Promise<Answer> {
    const res = await this.request(route.method, `${pathOf(route, params)}${queryOf(query)}`, body);
    const answer = await readJson(res);
    if (!isSuccess(res.statusCode)) throw answerError(res.statusCode, answer);
    return answer as Answer;
  }

  /** A stream's body, once the status says it is not an error answer. */
  private async stream<Path extends string, Query extends QueryValues>(
    route: StreamRoute<Path, Query>,
    params: PathParams<Path>,
    query?: Query,
  ): Promise<Readable> {
    const res = await this.request(route.method, `${pathOf(route, params)}${queryOf(query)}`);
    if (!isSuccess(res.statusCode)) throw answerError(res.statusCode, await readJson(res));
    res.setEncoding('utf8');
    return res;
  }

  private request(method: string, path: string, body?: unknown): Promise<http.IncomingMessage> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: payload === undefined
            ? { Accept: 'application/json' }
            : {
                Accept: 'application/json',
                'Content-Type': 'application/json',
                'Content-Length': Buffer.byteLength(payload),
              },
        },
        resolve,
      );
      req.on('error', (err) => reject(this.transportError(err)));
      req.end(payload);
    });
  }

  private transportError(err: NodeJS.ErrnoException): Error {
    if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') {
      return new SpewError(
        'AGENT_UNREACHABLE',
        `cannot reach the spew agent at ${this.socketPath} (${err.code}); ` +
          'start it with `spew agent` (or `systemctl start spew`), or point at its socket with --socket or SPEW_SOCKET',
        { cause: err },
      );
    }
    if (err.code === 'EACCES') {
      return new SpewError(
        'AGENT_UNREACHABLE',
        `no permission to use the spew agent's socket ${this.socketPath}; ${socketAccessHint(this.socketPath)}`,
        { cause: err },
      );
    }
    return err;
  }
}

function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

function notFound(id: string): SpewError {
  return new SpewError('APPLIANCE_NOT_FOUND', `no appliance named "${id}"`);
}

async function readJson(res: http.IncomingMessage): Promise<unknown> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON: something other than the agent answered (or it broke); keep its words.
    return { error: { code: 'INTERNAL', message: `unexpected answer from the agent: ${text.slice(0, 200)}` } };
  }
}

function answerError(status: number | undefined, body: unknown): SpewError {
  const error = (body as Partial<ErrorBody> | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new SpewError(error.code as ErrorCode, error.message);
  }
  return new SpewError('INTERNAL', `the agent answered HTTP ${status ?? '?'} without an error body`);
}
