/** The API of appliance versions: history, diff, rollback, export, explain (versions/). */
import { routes } from '../api/routes.js';
import type { DiffQuery } from '../api/wire.js';
import type { ApplianceService } from '../appliance/appliance-service.js';
import { SpewError } from '../common/errors.js';
import type { VersionControl } from '../versions/version-control.js';
import { queryFlag, type HttpRouter, type QueryReader } from './http-router.js';
import { bodyObject, field } from './request-body.js';

function versionParam(query: QueryReader<DiffQuery>, name: keyof DiffQuery): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new SpewError('INVALID_REQUEST', `${name}: expected a version number, got "${text}"`);
  return n;
}

export function addVersionRoutes(router: HttpRouter, manager: ApplianceService, versions: VersionControl): void {
  router.add(routes.history, async ({ params }) => versions.history(params.id));

  router.add(routes.diff, async ({ params, query }) =>
    versions.diff(params.id, versionParam(query, 'from'), versionParam(query, 'to')));

  router.add(routes.rollback, async ({ params, body }) => {
    const to = field(bodyObject(body), 'to', 'number', 0);
    if (!Number.isInteger(to) || to < 0) throw new SpewError('INVALID_REQUEST', `to: expected a version number, got ${to}`);
    const result = await versions.rollback(params.id, to === 0 ? undefined : to);
    return { ...result, appliance: manager.status([params.id])[0]! };
  });

  router.add(routes.explain, async ({ params }) => versions.explain(params.id));

  router.add(routes.export, async ({ query, res, open }) => {
    const text = versions.export(query.getAll('id'), queryFlag(query, 'versions'));
    open();
    res.end(text);
  });
}
