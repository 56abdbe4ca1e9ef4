import http from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChallenge, RegistryClient } from '../../src/images/registry-client.js';
import { pushBusyboxImages, startRegistry, tearDownRegistry, type TestRegistry } from '../support/docker-registry.js';

const NAME = `spew-rc-${process.pid}`;
let registry: TestRegistry;
let images: Record<string, string>;

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushBusyboxImages(registry, NAME);
});

afterAll(() => tearDownRegistry(registry, NAME));

describe('RegistryClient against a real registry', () => {
  it('lists every tag of a repository', async () => {
    const client = new RegistryClient({ url: registry.url });
    expect((await client.listTags(NAME)).sort()).toEqual(['1.0.0', '1.1.0', '2.0.0', '2.1.0']);
  });

  it('follows Link pagination across pages of two', async () => {
    // Debian's registry (distribution 2.8) lists every tag at once whatever `?n=` says; the
    // paging of distribution 3 and of hosted registries is played by a front over it.
    const front = await registryFront(registry.url, { paginate: true });
    try {
      const client = new RegistryClient({ url: front.url });
      expect(await client.listTags(NAME, { pageSize: 2 })).toEqual(['1.0.0', '1.1.0', '2.0.0', '2.1.0']);
      expect(front.tagPages).toEqual([
        `/v2/${NAME}/tags/list?n=2`,
        `/v2/${NAME}/tags/list?n=2&last=1.1.0`,
      ]);
      expect(await client.listTags(NAME, { pageSize: 3 })).toHaveLength(4);
      expect(await client.listTags(NAME, { pageSize: 4 })).toHaveLength(4);
    } finally {
      await front.close();
    }
  });

  it('gives the manifest digest the engine recorded when it pushed the tag', async () => {
    const { stdout } = await execa('docker', ['inspect', '--format', '{{json .RepoDigests}}', images['2.0.0'] as string]);
    const pushed = (JSON.parse(stdout) as string[]).map((d) => d.split('@')[1]);
    const digest = await new RegistryClient({ url: registry.url }).manifestDigest(NAME, '2.0.0');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pushed).toContain(digest);
  });

  it('reads a manifest by its digest too', async () => {
    const client = new RegistryClient({ url: registry.url });
    const digest = await client.manifestDigest(NAME, '1.0.0');
    expect(await client.manifestDigest(NAME, digest)).toBe(digest);
  });

  it('says IMAGE_NOT_FOUND for a repository the registry does not have', async () => {
    const client = new RegistryClient({ url: registry.url });
    await expect(client.listTags('no-such-app')).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      message: `${registry.url}: no repository no-such-app`,
    });
    await expect(client.manifestDigest('no-such-app', '1.0.0')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
  });

  it('says IMAGE_NOT_FOUND, naming the tag, for a tag the repository does not have', async () => {
    const client = new RegistryClient({ url: registry.url });
    await expect(client.manifestDigest(NAME, '9.9.9')).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      message: `${registry.url}: ${NAME} has no tag or manifest 9.9.9`,
    });
  });

  it('says REGISTRY_UNREACHABLE, quickly, when nothing listens on the registry port', async () => {
    const port = await closedPort();
    const client = new RegistryClient({ url: `http://127.0.0.1:${port}` });
    const started = Date.now();
    await expect(client.listTags(NAME)).rejects.toMatchObject({
      code: 'REGISTRY_UNREACHABLE',
      message: `http://127.0.0.1:${port}: registry unreachable (ECONNREFUSED)`,
    });
    await expect(client.manifestDigest(NAME, '1.0.0')).rejects.toMatchObject({ code: 'REGISTRY_UNREACHABLE' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('says REGISTRY_TIMEOUT when the registry accepts the connection and never answers', async () => {
    const sockets: Socket[] = [];
    const silent = await listen(createServer((socket) => sockets.push(socket)));
    try {
      const client = new RegistryClient({ url: `http://127.0.0.1:${port(silent)}`, timeoutMs: 300 });
      const started = Date.now();
      await expect(client.listTags(NAME)).rejects.toMatchObject({ code: 'REGISTRY_TIMEOUT' });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('goes through a bearer token challenge and reuses the token', async () => {
    const guard = await registryFront(registry.url, { user: { username: 'ops', password: 'secret' }, paginate: true });
    try {
      const client = new RegistryClient({ url: guard.url, credentials: { username: 'ops', password: 'secret' } });
      expect((await client.listTags(NAME, { pageSize: 2 })).sort()).toEqual(['1.0.0', '1.1.0', '2.0.0', '2.1.0']);
      expect(await client.manifestDigest(NAME, '2.0.0')).toBe(
        await new RegistryClient({ url: registry.url }).manifestDigest(NAME, '2.0.0'),
      );
      expect(guard.tokenRequests).toEqual([`service=test-registry&scope=repository%3A${NAME}%3Apull`]);
    } finally {
      await guard.close();
    }
  });

  it('says REGISTRY_AUTH_FAILED when the token service refuses the credentials', async () => {
    const guard = await registryFront(registry.url, { user: { username: 'ops', password: 'secret' } });
    try {
      const client = new RegistryClient({ url: guard.url, credentials: { username: 'ops', password: 'wrong' } });
      await expect(client.listTags(NAME)).rejects.toMatchObject({ code: 'REGISTRY_AUTH_FAILED' });
    } finally {
      await guard.close();
    }
  });
});

describe('parseChallenge', () => {
  it('reads the scheme and the quoted parameters of WWW-Authenticate', () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm=basic-realm')).toEqual({ scheme: 'basic', params: { realm: 'basic-realm' } });
    expect(parseChallenge(undefined)).toBeUndefined();
  });
});

/**
 * A front for the real registry that adds what Debian's registry cannot be set up to do here:
 * token auth as Docker Hub and most hosted registries do it (a 401 with a Bearer challenge, a
 * realm that trades Basic credentials for a token; the registry's own token auth needs a signing
 * setup), and tag list paging (`?n=` and `last=`, with a `Link` header to the next page).
 */
async function registryFront(upstream: string, options: { user?: { username: string; password: string }; paginate?: boolean }) {
  const tokenRequests: string[] = [];
  const tagPages: string[] = [];
  const token = 'tok-123';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const user = options.user;
    if (user && url.pathname === '/token') {
      tokenRequests.push(url.searchParams.toString());
      const expected = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token }));
      return;
    }
    if (user && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port(server)}/token",service="test-registry"`,
      });
      res.end();
      return;
    }
    const n = Number(url.searchParams.get('n'));
    const paging = options.paginate && url.pathname.endsWith('/tags/list') && n > 0;
    if (paging) tagPages.push(req.url ?? '');
    const forward = http.request(`${upstream}${url.pathname}`, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } }, (up) => {
      if (!paging || up.statusCode !== 200) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const all = (JSON.parse(Buffer.concat(chunks).toString()) as { name: string; tags: string[] });
        const last = url.searchParams.get('last');
        const rest = all.tags.sort().filter((t) => last === null || t > last);
        const page = rest.slice(0, n);
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (rest.length > n) headers.Link = `<${url.pathname}?n=${n}&last=${page[page.length - 1]}>; rel="next"`;
        res.writeHead(200, headers).end(JSON.stringify({ name: all.name, tags: page }));
      });
    });
    forward.on('error', () => res.writeHead(502).end());
    forward.end();
  });
  await listen(server);
  return {
    url: `http://127.0.0.1:${port(server)}`,
    tokenRequests,
    tagPages,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function listen<S extends Server | http.Server>(server: S): Promise<S> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function port(server: Server | http.Server): number {
  return (server.address() as AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = await listen(createServer());
  const p = port(server);
  await new Promise((resolve) => server.close(resolve));
  return p;
}
