/** The API of appliance versions: history, diff, rollback, export, explain (versions/). */
import type { DiffAnswer, ExplainAnswer, HistoryAnswer, RollbackAnswer } from '../api/wire.js';
import type { ApplianceService } from '../appliance/appliance-service.js';
import { SpewError } from '../common/errors.js';
import type { VersionControl } from '../versions/version-control.js';
import { STREAMED, type ApiRequest, type HttpRouter } from './http-router.js';
import { bodyObject, field } from './request-body.js';

function versionParam(request: ApiRequest, name: string): number | undefined {
  const text = request.query.get(name);
  if (text === null) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new SpewError('INVALID_REQUEST', `${name}: expected a version number, got "${text}"`);
  return n;
}

export function addVersionRoutes(router: HttpRouter, manager: ApplianceService, versions: VersionControl): void {
  router.add('GET', '/v1/appliances/:id/history', async ({ params }): Promise<HistoryAnswer> => versions.history(params[0]!));

  router.add('GET', '/v1/appliances/:id/diff', async (request): Promise<DiffAnswer> =>
    versions.diff(request.params[0]!, versionParam(request, 'from'), versionParam(request, 'to')));

  router.add('POST', '/v1/appliances/:id/rollback', async ({ params, body }): Promise<RollbackAnswer> => {
    const to = field(bodyObject(body), 'to', 'number', 0);
    if (!Number.isInteger(to) || to < 0) throw new SpewError('INVALID_REQUEST', `to: expected a version number, got ${to}`);
    const result = await versions.rollback(params[0]!, to === 0 ? undefined : to);
    return { ...result, appliance: manager.status([params[0]!])[0]! };
  });

  router.add('GET', '/v1/appliances/:id/explain', async ({ params }): Promise<ExplainAnswer> => versions.explain(params[0]!));

  router.add('GET', '/v1/export', async ({ query, res }) => {
    const text = versions.export(query.getAll('id'), ['1', 'true'].includes(query.get('versions') ?? ''));
    res.writeHead(200, { 'content-type': 'application/toml; charset=utf-8' });
    res.end(text);
    return STREAMED;
  });
}
