/**
 * The agent's API, route by route; see api/wire.ts for the bodies and answers. Handlers parse,
 * call the manager once and answer: the behaviour lives in the manager.
 */
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { applianceLogPath } from '../logs/appliance-log-path.js';
import type { AgentAnswer, ApplianceAnswer, ApplyAnswer, SkippedRecords, StatusAnswer } from '../api/wire.js';
import type { ApplianceService } from '../appliance/appliance-service.js';
import { SpewError } from '../common/errors.js';
import { parseApplianceSources, type LoadedItem } from '../config/appliance-file.js';
import { validateItem, type ItemDefaults } from '../config/item-validator.js';
import { parseSpec } from '../config/spec-parser.js';
import { errorMessage } from '../common/errors.js';
import { readLastLines } from '../logs/log-tail.js';
import type { Runner } from '../runners/runner.js';
import type { EventLog } from '../store/event-log.js';
import { bodyObject, field } from './request-body.js';
import { addDockerRoutes, type DockerApi } from './docker-routes.js';
import { addVersionRoutes } from './version-routes.js';
import type { VersionControl } from '../versions/version-control.js';
import { decodeSegment, HttpRouter, STREAMED, type ApiRequest } from './http-router.js';
import { BoundedWriter } from './bounded-writer.js';
import { formatLogLine } from '../logs/log-line.js';

export interface ApiContext {
  manager: ApplianceService;
  events: EventLog;
  runner: Runner;
  logDir: string;
  maxLogFiles: number;
  itemDefaults: ItemDefaults;
  about: () => AgentAnswer;
  handOff: () => void;
  docker: DockerApi;
  versions: VersionControl;
}

function tailOf(request: ApiRequest, fallback: number): number {
  const text = request.query.get('tail');
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new SpewError('INVALID_REQUEST', `tail: expected a whole number >= 0, got "${text}"`);
  return n;
}

/** In a follower's log stream, where it missed lines: a line of the log's own form. */
function skippedLinesNotice(skipped: number): string {
  return `${formatLogLine(new Date(), 'err', `spew: ${skipped} line(s) skipped here: this reader fell behind; the log file has them`)}\n`;
}

const follows = (request: ApiRequest): boolean => ['1', 'true'].includes(request.query.get('follow') ?? '');

export function apiRoutes(ctx: ApiContext, onInternalError: (err: unknown) => void): HttpRouter {
  // A client that reads events.log after an answer finds every transition the answer shows.
  const router = new HttpRouter(onInternalError, () => ctx.events.flush());
  const { manager } = ctx;
  const one = (appliance: { ref: string }): ApplianceAnswer => ({ appliance: manager.status([appliance.ref])[0]! });

  router.add('GET', '/v1/agent', async () => ctx.about());
  router.add('POST', '/v1/agent/handoff', async () => {
    setImmediate(ctx.handOff);
    return { handing_off: true };
  });

  router.add('GET', '/v1/appliances', async ({ query }): Promise<StatusAnswer> => {
    const docker = ctx.docker.engine();
    const warnings = manager.warnings();
    return { appliances: manager.status(query.getAll('id')), ...(docker && { docker }), ...(warnings.length > 0 && { warnings }) };
  });
  router.add('GET', '/v1/appliances/:id', async ({ params }) => one(manager.get(params[0]!)));

  router.add('POST', '/v1/appliances', async ({ body }) => {
    const request = bodyObject(body);
    const specText = field(request, 'spec', 'string');
    let spec;
    try {
      spec = parseSpec(specText);
    } catch (err) {
      throw new SpewError('INVALID_REQUEST', `spec: ${errorMessage(err)}`, { cause: err });
    }
    const raw = field(request, 'item', 'object');
    const { opts, problems } = validateItem(
      raw,
      { keyPrefix: 'item', locate: () => undefined, name: spec.name, specOptions: spec.options },
      ctx.itemDefaults,
    );
    if (!opts) throw new SpewError('INVALID_REQUEST', problems.map((p) => `${p.keyPath}: ${p.message}`).join('\n'));
    const item: LoadedItem = { spec, opts, file: '', line: 0, raw: { item: raw, defaults: {} } };
    return one(await manager.create(item, field(request, 'start', 'boolean', false)));
  });

  router.add('DELETE', '/v1/appliances/:id', async ({ params }): Promise<ApplianceAnswer> => ({
    appliance: await manager.remove(params[0]!),
  }));
  router.add('POST', '/v1/appliances/:id/start', async ({ params }) => one(await manager.start(params[0]!)));
  router.add('POST', '/v1/appliances/:id/stop', async ({ params, body }) =>
    one(await manager.stop(params[0]!, field(bodyObject(body), 'kill', 'boolean', false))));
  router.add('POST', '/v1/appliances/:id/restart', async ({ params }) => one(await manager.restart(params[0]!)));

  router.add('GET', '/v1/appliances/:id/logs', async (request) => {
    const appliance = manager.get(request.params[0]!);
    const tail = tailOf(request, 100);
    const { res, req } = request;
    // Subscribe before reading the file, so no line falls between the two; lines that made it
    // into both are written once.
    let queued: string[] | undefined = [];
    const out = new BoundedWriter(res, skippedLinesNotice);
    const unsubscribe = follows(request)
      ? appliance.capture.subscribe((line) => (queued ? queued.push(line) : out.write(`${line}\n`)))
      : undefined;
    const lines = await readLastLines(applianceLogPath(ctx.logDir, appliance.name), tail, ctx.maxLogFiles);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    for (const line of lines) res.write(`${line}\n`);
    if (!unsubscribe) {
      res.end();
      return STREAMED;
    }
    const seen = new Set(lines);
    for (const line of queued) if (!seen.has(line)) out.write(`${line}\n`);
    queued = undefined;
    req.socket.on('close', unsubscribe);
    return STREAMED;
  });

  router.add('GET', '/v1/events', async (request) => {
    const { res, req } = request;
    // Read before the 200 goes out: after it, a bad tail could only hang up on the client.
    const tail = tailOf(request, 50);
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const record of ctx.events.tail(tail)) res.write(`${JSON.stringify(record)}\n`);
    if (!follows(request)) {
      res.end();
      return STREAMED;
    }
    const out = new BoundedWriter(res, (skipped) => `${JSON.stringify({ skipped } satisfies SkippedRecords)}\n`);
    const unsubscribe = ctx.events.subscribe((record) => out.write(`${JSON.stringify(record)}\n`));
    req.socket.on('close', unsubscribe);
    return STREAMED;
  });

  router.add('POST', '/v1/apply', async ({ body }): Promise<ApplyAnswer> => {
    const request = bodyObject(body);
    const files = field(request, 'files', 'array').map((entry, i) => {
      const file = bodyObject(entry);
      try {
        return { file: field(file, 'path', 'string'), content: field(file, 'content', 'string') };
      } catch (err) {
        throw new SpewError('INVALID_REQUEST', `files[${i}].${errorMessage(err)}`, { cause: err });
      }
    });
    const items = parseApplianceSources(files, ctx.itemDefaults);
    const dryRun = field(request, 'dry_run', 'boolean', false);
    const plan = await manager.apply(items, {
      prune: field(request, 'prune', 'boolean', false),
      dryRun,
      noRestart: field(request, 'no_restart', 'boolean', false),
    });
    return { plan, applied: !dryRun };
  });

  addDockerRoutes(router, ctx.docker);
  addVersionRoutes(router, manager, ctx.versions);
  return router;
}

/**
 * `spew attach`: after the upgrade the socket carries the appliance's captured lines out and,
 * for an appliance created with `stdin = true`, the client's input in.
 */
export function handleAttach(ctx: ApiContext, req: IncomingMessage, socket: Socket): void {
  const match = /^\/v1\/appliances\/([^/?]+)\/attach/.exec(req.url ?? '');
  let appliance;
  try {
    if (!match) throw new SpewError('ROUTE_NOT_FOUND', `no such upgrade path: ${req.url ?? ''}`);
    appliance = ctx.manager.get(decodeSegment(match[1]!));
  } catch (err) {
    const error = err instanceof SpewError ? err : new SpewError('INTERNAL', errorMessage(err), { cause: err });
    const body = JSON.stringify({ error: { code: error.code, message: error.message } });
    socket.end(`HTTP/1.1 ${error.httpStatus} Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    return;
  }
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: spew-attach\r\nConnection: Upgrade\r\n\r\n');
  const out = new BoundedWriter(socket, skippedLinesNotice);
  const unsubscribe = appliance.capture.subscribe((line) => out.write(`${line}\n`));
  const def = appliance.definition;
  socket.on('data', (data: Buffer) => ctx.runner.input(def, data));
  socket.on('error', () => undefined);
  socket.on('close', unsubscribe);
}
