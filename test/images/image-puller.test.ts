import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import Dockerode from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageRef } from '../../src/images/image-ref.js';
import { resolveImage } from '../../src/images/image-resolution.js';
import { ImagePuller } from '../../src/images/image-puller.js';
import type { LayerProgress } from '../../src/model/image-pull.js';
import { RegistryClient } from '../../src/images/registry-client.js';
import { waitFor } from '../support/wait-for.js';
import { pushBusyboxImages, removeLocalImages, startRegistry, tearDownRegistry, type TestRegistry } from '../support/docker-registry.js';

const NAME = `spew-pull-${process.pid}`;
const docker = new Dockerode();
const puller = new ImagePuller(docker);
let registry: TestRegistry;

beforeAll(async () => {
  registry = await startRegistry();
  await pushBusyboxImages(registry, NAME);
  // Pushing leaves the images in the engine; the pulls below must fetch them.
  await removeLocalImages(`${registry.host}/${NAME}`);
});

afterAll(() => tearDownRegistry(registry, NAME));

describe('ImagePuller against a real engine and registry', () => {
  it('pulls a tag, reporting every layer from waiting through downloading and extracting to done', async () => {
    const events: LayerProgress[] = [];
    const ref = parseImageRef(`${registry.host}/${NAME}:2.0.0`);
    const result = await puller.pull(ref, { onProgress: (e) => events.push(e), deadlineMs: 60_000 });

    const layers = [...new Set(events.map((e) => e.layer))];
    expect(layers.length).toBe(2);
    for (const layer of layers) {
      const seen = events.filter((e) => e.layer === layer);
      const statuses = [...new Set(seen.map((e) => e.status))];
      expect(statuses, `layer ${layer}`).toEqual(['waiting', 'downloading', 'extracting', 'done']);
      const last = seen[seen.length - 1] as LayerProgress;
      expect(last.total).toBeGreaterThan(0);
      expect(last.current).toBe(last.total);
    }
    // The busybox layer is about a megabyte: the engine reports it part-way at least once.
    expect(events.some((e) => e.status === 'downloading' && e.total !== null && e.current > 0 && e.current < e.total)).toBe(true);

    const { stdout } = await execa('docker', ['inspect', '--format', '{{.Id}}', `${registry.host}/${NAME}:2.0.0`]);
    expect(result.imageId).toBe(stdout.trim());
    const digest = await new RegistryClient({ url: registry.url }).manifestDigest(NAME, '2.0.0');
    expect(result.repoDigest).toBe(`${registry.host}/${NAME}@${digest}`);
  });

  it('reports a layer it already holds as done at once', async () => {
    const events: LayerProgress[] = [];
    await puller.pull(parseImageRef(`${registry.host}/${NAME}:1.0.0`), { onProgress: (e) => events.push(e) });
    const layers = [...new Set(events.map((e) => e.layer))];
    expect(layers.length).toBe(2);
    // The busybox root is shared with 2.0.0, pulled above.
    const shared = layers.filter((l) => events.filter((e) => e.layer === l).every((e) => e.status === 'done'));
    expect(shared.length).toBe(1);
  });

  it('pulls by digest too', async () => {
    const digest = await new RegistryClient({ url: registry.url }).manifestDigest(NAME, '1.1.0');
    const result = await puller.pull(parseImageRef(`${registry.host}/${NAME}@${digest}`));
    expect(result.image).toBe(`${registry.host}/${NAME}@${digest}`);
    expect(result.imageId).toMatch(/^sha256:/);
  });

  it('lists the tags the engine holds, and resolution prefers them for what they are', async () => {
    const ref = parseImageRef(`${registry.host}/${NAME}`);
    const local = await puller.localTags(ref);
    // 1.1.0 was pulled by digest, so the engine holds it under no tag.
    expect(local.sort()).toEqual(['1.0.0', '2.0.0']);
    const remote = await new RegistryClient({ url: registry.url }).listTags(NAME);
    expect(resolveImage('~>1.0', { registryTags: remote, localTags: local })).toEqual({ tag: '1.1.0', local: false });
    expect(resolveImage('~>2.0.0', { registryTags: remote, localTags: local })).toEqual({ tag: '2.0.0', local: true });
    expect(await puller.localTags(parseImageRef(`${registry.host}/never-pulled`))).toEqual([]);
  });

  it('pulls images that run as the tests need: a version line, 2.0.0 serving http, 2.1.0 exiting at once', async () => {
    await puller.pull(parseImageRef(`${registry.host}/${NAME}:2.1.0`));
    const broken = await execa('docker', ['run', '--rm', '--network', 'none', `${registry.host}/${NAME}:2.1.0`], { reject: false });
    expect(broken.exitCode).toBe(3);
    expect(broken.stdout).toBe(`${NAME} 2.1.0`);

    const name = `spew-pull-run-${process.pid}`;
    // No published port: httpd is asked from inside, so the check needs no bridge network.
    await execa('docker', ['run', '-d', '--name', name, '--network', 'none', `${registry.host}/${NAME}:2.0.0`]);
    try {
      const body = await waitFor('httpd in 2.0.0', async () => {
        const page = await execa('docker', ['exec', name, 'wget', '-qO-', 'http://127.0.0.1/index.html'], { reject: false });
        return page.exitCode === 0 && page.stdout;
      });
      expect(body.trim()).toBe('2.0.0');
      expect((await execa('docker', ['logs', name])).stdout).toBe(`${NAME} 2.0.0`);
      const started = Date.now();
      await execa('docker', ['stop', '-t', '10', name]);
      // The image's shell exits on SIGTERM itself, so the engine never waits for its kill.
      expect(Date.now() - started).toBeLessThan(5_000);
      const { stdout: code } = await execa('docker', ['inspect', '--format', '{{.State.ExitCode}}', name]);
      expect(code).toBe('0');
    } finally {
      await execa('docker', ['rm', '-f', name]);
    }
  });

  it('fails fast with IMAGE_NOT_FOUND for a tag the registry does not have', async () => {
    const started = Date.now();
    await expect(puller.pull(parseImageRef(`${registry.host}/${NAME}:9.9.9`))).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      message: expect.stringContaining(`pulling ${registry.host}/${NAME}:9.9.9: manifest for`),
    });
    await expect(puller.pull(parseImageRef(`${registry.host}/no-such-app:1.0.0`))).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails fast with REGISTRY_UNREACHABLE when the registry is down', async () => {
    const port = await closedPort();
    const started = Date.now();
    await expect(puller.pull(parseImageRef(`127.0.0.1:${port}/${NAME}:1.0.0`))).rejects.toMatchObject({
      code: 'REGISTRY_UNREACHABLE',
      message: expect.stringContaining('connection refused'),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives up with IMAGE_PULL_TIMEOUT when the registry accepts and never answers', async () => {
    const sockets: Socket[] = [];
    const silent = await listen(createServer((s) => sockets.push(s)));
    try {
      const started = Date.now();
      const pull = puller.pull(parseImageRef(`127.0.0.1:${(silent.address() as AddressInfo).port}/${NAME}:1.0.0`), { stallMs: 1_000 });
      await expect(pull).rejects.toMatchObject({
        code: 'IMAGE_PULL_TIMEOUT',
        message: expect.stringContaining('no progress from the engine for 1000 ms'),
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('says DOCKER_UNREACHABLE when the engine socket does not answer', async () => {
    const nowhere = new ImagePuller(new Dockerode({ socketPath: '/nonexistent/docker.sock' }));
    await expect(nowhere.pull(parseImageRef(`${registry.host}/${NAME}:1.0.0`))).rejects.toMatchObject({ code: 'DOCKER_UNREACHABLE' });
    await expect(nowhere.localTags(parseImageRef(`${registry.host}/${NAME}`))).rejects.toMatchObject({ code: 'DOCKER_UNREACHABLE' });
  });
});

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function closedPort(): Promise<number> {
  const server = await listen(createServer());
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
