/**
 * The CLI's side of the API in `src/api/wire.ts`: HTTP+JSON over the agent's unix socket.
 *
 * Only node built-ins and type imports here: every client command loads this file, and
 * `spew status` has to answer in well under a quarter of a second.
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import type { Duplex, Readable } from 'node:stream';
import { SpewError, type ErrorCode } from '../common/errors.js';
import { socketAccessHint } from './socket-access.js';
import { API_PREFIX, type AgentAnswer, type ApplianceAnswer, type ApplyAnswer, type ApplyRequest, type CreateRequest, type ErrorBody, type DiffAnswer, type ExplainAnswer, type HistoryAnswer, type OrphansAnswer, type RollbackAnswer, type SkippedRecords, type StatusAnswer, type StopRequest, type UpgradeAnswer, type UpgradeCheckAnswer } from '../api/wire.js';
import type { ApplianceStatus, EventRecord } from '../model/appliance-status.js';

export interface StreamOptions {
  tail?: number;
  follow?: boolean;
}

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

  /** The appliances with what the agent knows of the Docker engine. */
  async statusAnswer(ids: readonly string[] = []): Promise<StatusAnswer> {
    const query = new URLSearchParams(ids.map((id) => ['id', id]));
    // The agent resolves the ids (it alone knows how refs are matched) and names the unknown one.
    return this.json<StatusAnswer>('GET', `/appliances${queryString(query)}`);
  }

  /** Every pull's progress from now on, one PullEvent per line, until the stream is destroyed. */
  async pulls(): Promise<Readable> {
    return this.stream('/pulls');
  }

  async upgradeCheck(ids: readonly string[]): Promise<UpgradeCheckAnswer> {
    return this.json<UpgradeCheckAnswer>('POST', '/upgrades/check', { ids });
  }

  async upgrade(id: string, to?: string): Promise<UpgradeAnswer> {
    return this.applianceCall(id, () => this.json<UpgradeAnswer>('POST', `${appliancePath(id)}/upgrade`, to === undefined ? {} : { to }));
  }

  async history(id: string): Promise<HistoryAnswer> {
    return this.applianceCall(id, () => this.json<HistoryAnswer>('GET', `${appliancePath(id)}/history`));
  }

  async diff(id: string, from?: number, to?: number): Promise<DiffAnswer> {
    const query = new URLSearchParams([...(from !== undefined ? [['from', String(from)]] : []), ...(to !== undefined ? [['to', String(to)]] : [])]);
    return this.applianceCall(id, () => this.json<DiffAnswer>('GET', `${appliancePath(id)}/diff${queryString(query)}`));
  }

  async rollback(id: string, to?: number): Promise<RollbackAnswer> {
    return this.applianceCall(id, () => this.json<RollbackAnswer>('POST', `${appliancePath(id)}/rollback`, to === undefined ? {} : { to }));
  }

  async explain(id: string): Promise<ExplainAnswer> {
    return this.applianceCall(id, () => this.json<ExplainAnswer>('GET', `${appliancePath(id)}/explain`));
  }

  /** Appliance-file TOML of the appliances named (all when none). */
  async exportToml(ids: readonly string[], versions: boolean): Promise<string> {
    const query = new URLSearchParams([...ids.map((id) => ['id', id]), ...(versions ? [['versions', '1']] : [])]);
    const body = await this.stream(`/export${queryString(query)}`);
    let text = '';
    for await (const chunk of body) text += String(chunk);
    return text;
  }

  async orphans(): Promise<OrphansAnswer> {
    return this.json<OrphansAnswer>('GET', '/docker/orphans');
  }

  async create(request: CreateRequest): Promise<ApplianceStatus> {
    return (await this.json<ApplianceAnswer>('POST', '/appliances', request)).appliance;
  }

  async start(id: string): Promise<ApplianceStatus> {
    return this.applianceAction(id, 'POST', '/start');
  }

  async stop(id: string, request: StopRequest = {}): Promise<ApplianceStatus> {
    return this.applianceAction(id, 'POST', '/stop', request);
  }

  async restart(id: string): Promise<ApplianceStatus> {
    return this.applianceAction(id, 'POST', '/restart');
  }

  /** Stops the appliance first (the agent does) and answers its last status. */
  async remove(id: string): Promise<ApplianceStatus> {
    return this.applianceAction(id, 'DELETE', '');
  }

  async apply(request: ApplyRequest): Promise<ApplyAnswer> {
    return this.json<ApplyAnswer>('POST', '/apply', request);
  }

  async agent(): Promise<AgentAnswer> {
    return this.json<AgentAnswer>('GET', '/agent');
  }

  /** Asks the agent to exit at once and leave its appliances running for the next agent. */
  async handoff(): Promise<void> {
    await this.json<unknown>('POST', '/agent/handoff', {});
  }

  /**
   * The event log as records; with `follow` it keeps yielding until the agent closes, and says
   * where a reader that fell behind missed some.
   */
  async *events(options: StreamOptions = {}): AsyncGenerator<EventRecord | SkippedRecords> {
    const body = await this.stream(`/events${streamQuery(options)}`);
    for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
      if (line !== '') yield JSON.parse(line) as EventRecord | SkippedRecords;
    }
  }

  /** The captured lines of one appliance, as the raw text stream the agent sends. */
  async logs(id: string, options: StreamOptions = {}): Promise<Readable> {
    return this.applianceCall(id, () => this.stream(`${appliancePath(id)}/logs${streamQuery(options)}`));
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
          method: 'GET',
          path: `${API_PREFIX}${appliancePath(id)}/attach`,
          headers: { Connection: 'Upgrade', Upgrade: 'spew-attach' },
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

  private async applianceAction(
    id: string,
    method: string,
    suffix: string,
    body?: unknown,
  ): Promise<ApplianceStatus> {
    return this.applianceCall(id, async () =>
      (await this.json<ApplianceAnswer>(method, `${appliancePath(id)}${suffix}`, body)).appliance);
  }

  /** Words an APPLIANCE_NOT_FOUND answer with the id the user typed, whatever the agent said. */
  private async applianceCall<T>(id: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw err instanceof SpewError && err.code === 'APPLIANCE_NOT_FOUND' ? notFound(id) : err;
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    const answer = await readJson(res);
    if (!isSuccess(res.statusCode)) throw answerError(res.statusCode, answer);
    return answer as T;
  }

  /** A streaming GET: the body, once the status says it is not an error answer. */
  private async stream(path: string): Promise<Readable> {
    const res = await this.request('GET', path);
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
          path: `${API_PREFIX}${path}`,
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

function appliancePath(id: string): string {
  return `/appliances/${encodeURIComponent(id)}`;
}

function streamQuery({ tail, follow }: StreamOptions): string {
  const query = new URLSearchParams();
  if (tail !== undefined) query.set('tail', String(tail));
  if (follow) query.set('follow', '1');
  return queryString(query);
}

function queryString(query: URLSearchParams): string {
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
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
