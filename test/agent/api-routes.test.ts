import { describe, expect, it } from 'vitest';
import { apiRoutes, type ApiContext } from '../../src/agent/api-routes.js';
import { routes } from '../../src/api/routes.js';

describe("the agent's routes", () => {
  it('serve every route of the table', () => {
    // Building the routes touches nothing of the context but the docker part's manager.
    const router = apiRoutes({ docker: {} } as unknown as ApiContext, () => undefined);
    const unserved = Object.entries(routes).filter(([, route]) => !router.serves(route)).map(([name]) => name);
    expect(unserved).toEqual([]);
  });
});
