/**
 * The agent's handlers of the routes in api/routes.ts (bodies and answers in api/wire.ts).
 * Handlers parse, call the manager once and answer: the behaviour lives in the manager.
 */
import { applianceLogPath } from '../logs/appliance-log-path.js';
import { routes } from '../api/routes.js';
import type { ActionAnswer, AgentAnswer, ApplianceAnswer, StreamQuery } from '../api/wire.js';
import type { ApplianceService } from '../appliance/appliance-service.js';
import { SpewError } from '../common/errors.js';
import { parseApplianceSources } from '../config/appliance-file.js';
import type { ItemDefaults } from '../config/item-validator.js';
import type { ApplianceStatus, EventRecord } from '../model/appliance-status.js';
import type { HostAction, HostedEvent } from '../model/cluster.js';
import { createdItem, placementOf } from './create-request.js';
import { errorMessage } from '../common/errors.js';
import { readLastLines } from '../logs/log-tail.js';
import type { Runner } from '../runners/runner.js';
import type { EventLog } from '../store/event-log.js';
import { bodyObject, field } from './request-body.js';
import { addDockerRoutes, type DockerApi } from './docker-routes.js';
import { addVersionRoutes } from './version-routes.js';
import { actOn, addClusterRoutes, createAcross, eventsAcross, statusAcross, type ClusterApi } from './cluster-routes.js';
import type { VersionControl } from '../versions/version-control.js';
import { HttpRouter, queryFlag, type QueryReader } from './http-router.js';
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
  /** Undefined on a single host (no `[cluster]` table). */
  cluster: ClusterApi | undefined;
}

function tailOf(query: QueryReader<StreamQuery>, fallback: number): number {
  const text = query.get('tail');
  if (text === null) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new SpewError('INVALID_REQUEST', `tail: expected a whole number >= 0, got "${text}"`);
  return n;
}

/** In a follower's log stream, where it missed lines: a line of the log's own form. */
function skippedLinesNotice(skipped: number): string {
  return `${formatLogLine(new Date(), 'err', `spew: ${skipped} line(s) skipped here: this reader fell behind; the log file has them`)}\n`;
}

export function apiRoutes(ctx: ApiContext, onInternalError: (err: unknown) => void): HttpRouter {
  // A client that reads events.log after an answer finds every transition the answer shows.
  const router = new HttpRouter(onInternalError, () => ctx.events.flush());
  const { manager } = ctx;
  const one = (appliance: { ref: string }): ApplianceAnswer => ({ appliance: manager.status([appliance.ref])[0]! });

  router.add(routes.agent, async () => ctx.about());
  router.add(routes.handoff, async () => {
    setImmediate(ctx.handOff);
    return { handing_off: true };
  });

  router.add(routes.status, async ({ query }) => {
    const docker = ctx.docker.engine();
    const warnings = manager.warnings();
    return { ...(await statusAcross(manager, ctx.cluster, query)), ...(docker && { docker }), ...(warnings.length > 0 && { warnings }) };
  });
  router.add(routes.appliance, async ({ params }) => one(manager.get(params.id)));

  router.add(routes.create, async ({ body }) => {
    const request = bodyObject(body);
    const spec = field(request, 'spec', 'string');
    const raw = field(request, 'item', 'object');
    const start = field(request, 'start', 'boolean', false);
    // Validated here first: a bad one goes nowhere, whichever host it was meant for.
    const item = createdItem(spec, raw, ctx.itemDefaults);
    return createAcross(
      ctx.cluster,
      placementOf(request),
      async () => manager.status([(await manager.create(item, start)).ref])[0]!,
      { action: 'create', spec, item: raw, start },
    );
  });

  const act = (id: string, action: HostAction, local: () => Promise<ApplianceStatus>): Promise<ActionAnswer> => actOn(manager, ctx.cluster, id, action, local);
  const now = (appliance: { ref: string }): ApplianceStatus => manager.status([appliance.ref])[0]!;
  router.add(routes.remove, async ({ params: { id } }) => act(id, { action: 'remove', id }, () => manager.remove(id)));
  router.add(routes.start, async ({ params: { id } }) => act(id, { action: 'start', id }, async () => now(await manager.start(id))));
  router.add(routes.stop, async ({ params: { id }, body }) => {
    const kill = field(bodyObject(body), 'kill', 'boolean', false);
    return act(id, { action: 'stop', id, kill }, async () => now(await manager.stop(id, kill)));
  });
  router.add(routes.restart, async ({ params: { id } }) => act(id, { action: 'restart', id }, async () => now(await manager.restart(id))));

  router.add(routes.logs, async ({ params, query, res, req, open, line }) => {
    const appliance = manager.get(params.id);
    const tail = tailOf(query, 100);
    // Subscribe before reading the file, so no line falls between the two; lines that made it
    // into both are written once.
    let queued: string[] | undefined = [];
    const out = new BoundedWriter(res, skippedLinesNotice);
    const unsubscribe = queryFlag(query, 'follow')
      ? appliance.capture.subscribe((text) => (queued ? queued.push(text) : out.write(line(text))))
      : undefined;
    const lines = await readLastLines(applianceLogPath(ctx.logDir, appliance.name), tail, ctx.maxLogFiles);
    open();
    for (const text of lines) res.write(line(text));
    if (!unsubscribe) {
      res.end();
      return;
    }
    const seen = new Set(lines);
    for (const text of queued) if (!seen.has(text)) out.write(line(text));
    queued = undefined;
    req.socket.on('close', unsubscribe);
  });

  router.add(routes.events, async ({ query, res, req, open, line }) => {
    // Read before the 200 goes out: after it, a bad tail could only hang up on the client.
    const tail = tailOf(query, 50);
    const follow = queryFlag(query, 'follow');
    const cluster = queryFlag(query, 'local') ? undefined : ctx.cluster;
    // On a cluster's agent every record says its host, this host's too.
    const self = cluster?.link().host;
    const hosted = (record: EventRecord): EventRecord | HostedEvent => (self === undefined ? record : { ...record, host: self });
    const across = cluster && await eventsAcross(cluster, follow);
    open();
    const local = ctx.events.tail(tail).map(hosted);
    const merged = across ? [...local, ...across.recent].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)) : local;
    for (const record of merged.slice(Math.max(0, merged.length - tail))) res.write(line(record));
    if (!follow) {
      res.end();
      return;
    }
    const out = new BoundedWriter(res, (skipped) => line({ skipped }));
    const unsubscribe = ctx.events.subscribe((record) => out.write(line(hosted(record))));
    across?.feed?.follow((event) => out.write(line(event)));
    req.socket.on('close', () => {
      unsubscribe();
      void across?.feed?.stop();
    });
  });

  router.add(routes.apply, async ({ body }) => {
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

  // `spew attach`: the appliance's captured lines out and, for an appliance created with
  // `stdin = true`, the client's input in.
  router.add(routes.attach, ({ params, socket, accept }) => {
    const appliance = manager.get(params.id);
    accept();
    const out = new BoundedWriter(socket, skippedLinesNotice);
    const unsubscribe = appliance.capture.subscribe((line) => out.write(`${line}\n`));
    const def = appliance.definition;
    socket.on('data', (data: Buffer) => ctx.runner.input(def, data));
    socket.on('error', () => undefined);
    socket.on('close', unsubscribe);
  });

  addDockerRoutes(router, ctx.docker);
  addVersionRoutes(router, manager, ctx.versions);
  addClusterRoutes(router, ctx.cluster);
  router.requireAll(routes);
  return router;
}
