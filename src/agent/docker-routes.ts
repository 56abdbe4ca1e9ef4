/**
 * The API of container appliances: pull progress, the engine's leftovers, and upgrades. Added
 * to the same router as every other route (api-routes.ts).
 */
import { capabilitiesOf } from '../model/appliance-type.js';
import { routes } from '../api/routes.js';
import type { EngineAnswer, OrphansAnswer } from '../api/wire.js';
import type { ApplianceService } from '../appliance/appliance-service.js';
import { errorMessage, SpewError } from '../common/errors.js';
import type { PullFeed } from '../images/pull-feed.js';
import type { Upgrader } from '../upgrades/upgrader.js';
import { BoundedWriter } from './bounded-writer.js';
import type { HttpRouter } from './http-router.js';
import { bodyObject, field } from './request-body.js';

export interface DockerApi {
  manager: ApplianceService;
  pulls: PullFeed;
  upgrader: Upgrader;
  /** Undefined until a docker appliance has needed the engine. */
  engine: () => EngineAnswer | undefined;
  orphans: () => Promise<OrphansAnswer['orphans']>;
}

export function addDockerRoutes(router: HttpRouter, api: DockerApi): void {
  const { manager } = api;

  router.add(routes.pulls, async ({ query, res, req, open, line }) => {
    const refs = new Set(query.getAll('id').map((id) => manager.get(id).ref));
    open();
    // Headers now, so a client waiting for the stream to open knows it is listening.
    res.write('');
    // Progress is for the eye: a reader that falls behind misses steps, with nothing to say of it.
    const out = new BoundedWriter(res, () => '');
    const unsubscribe = api.pulls.subscribe((event) => {
      if (refs.size === 0 || refs.has(event.ref)) out.write(line(event));
    });
    req.socket.on('close', unsubscribe);
  });

  router.add(routes.orphans, async () => {
    if (!api.engine()) return { orphans: [] };
    try {
      return { orphans: await api.orphans() };
    } catch (err) {
      throw new SpewError('DOCKER_UNREACHABLE', `docker: ${errorMessage(err)}`, { cause: err });
    }
  });

  router.add(routes.upgradeCheck, async ({ body }) => {
    const ids = field(bodyObject(body), 'ids', 'array', []).map((id, i) => {
      if (typeof id !== 'string') throw new SpewError('INVALID_REQUEST', `ids[${i}]: expected string`);
      return id;
    });
    const chosen = ids.length > 0
      ? ids.map((id) => manager.get(id))
      : manager.all().filter((a) => capabilitiesOf(a.definition.type).upgrades && a.definition.options.vsn !== undefined);
    const upgrades = await Promise.all(chosen.map(async (appliance) => {
      const entry = { name: appliance.name, ref: appliance.ref };
      try {
        return { ...entry, ...(await api.upgrader.check(appliance.ref)) };
      } catch (err) {
        return { ...entry, current: appliance.definition.image_tag ?? appliance.definition.tag ?? null, available: null, error: errorMessage(err) };
      }
    }));
    return { upgrades: upgrades.sort((a, b) => a.name.localeCompare(b.name)) };
  });

  router.add(routes.upgrade, async ({ params, body }) => {
    const to = field(bodyObject(body), 'to', 'string', '');
    const result = await api.upgrader.upgrade(params.id, to === '' ? undefined : to);
    return { ...result, appliance: manager.status([params.id])[0]! };
  });
}
