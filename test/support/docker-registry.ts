/**
 * A real registry for tests: Debian's `docker-registry` (distribution v2) on loopback, over
 * plain http with no auth, storing into a temp dir that `stop()` removes. It takes port 5000
 * when free, else any free port: dockerd lets any 127.0.0.0/8 registry be insecure, so pushes
 * and pulls work on either.
 *
 * `pushBusyboxImages` builds the test images from the host's busybox-static, with no
 * network: each tag is two layers (a busybox root shared by all, and a small layer of its own),
 * so a pull has more than one layer to report on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort } from './free-port.js';

export interface TestRegistry {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, the registry part of image names. */
  host: string;
  stop(): Promise<void>;
}

const BINARY = '/usr/bin/docker-registry';
const BUSYBOX = '/bin/busybox';

export async function startRegistry(): Promise<TestRegistry> {
  // Another test file may take 5000 between our check and the registry's bind; then the
  // registry exits at once and a free port is tried instead.
  if (await portIsFree(5000)) {
    try {
      return await launch(5000);
    } catch {
      // Taken meanwhile: fall through to a free port.
    }
  }
  return launch(await freePort());
}

async function launch(port: number): Promise<TestRegistry> {
  const host = `127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'spew-registry-'));
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      '  headers:',
      `    X-Spew-Registry: [${JSON.stringify(dir)}]`,
      '',
    ].join('\n'),
  );
  const child = spawn(BINARY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://${host}`;
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  // Not `waitFor`: a registry that exited (its port taken) must fail at once, not at the deadline.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry on ${host} exited ${child.exitCode}: ${stderr.trim()}`);
    }
    // The header tells ours from another registry that won the race for the port.
    const ready = await fetch(`${url}/v2/`).then(
      (res) => res.status === 200 && res.headers.get('x-spew-registry') === dir,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry on ${host} did not answer within 20 s: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, host, stop };
}

export const BUSYBOX_TAGS = ['1.0.0', '1.1.0', '2.0.0', '2.1.0'] as const;

/**
 * Builds and pushes `HOST/NAME:1.0.0`, `1.1.0`, `2.0.0` and `2.1.0`. Each prints `NAME VERSION`
 * on start; the first three then wait for SIGTERM (and exit 0 on it at once, being PID 1), 2.0.0
 * also serves `/index.html` (its version) with busybox httpd on port 80; 2.1.0 is the broken
 * release: it prints and exits 3 at once. Returns the full image names, by tag.
 */
export async function pushBusyboxImages(registry: TestRegistry, name: string): Promise<Record<string, string>> {
  const repo = `${registry.host}/${name}`;
  const base = `${repo}-base:build`;
  const root = await mkdtemp(join(tmpdir(), 'spew-busybox-root-'));
  try {
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'tmp'));
    await mkdir(join(root, 'www'));
    await copyFile(BUSYBOX, join(root, 'bin/busybox'));
    const { stdout } = await execa(BUSYBOX, ['--list']);
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) {
      await symlink('busybox', join(root, 'bin', applet));
    }
    await execa('sh', ['-c', `tar -C "$ROOT" -c . | docker import - "$BASE"`], { env: { ROOT: root, BASE: base } });
  } finally {
    await rm(root, { recursive: true, force: true });
  }

  const images: Record<string, string> = {};
  for (const tag of BUSYBOX_TAGS) {
    const image = `${repo}:${tag}`;
    const container = `spew-build-${name}-${tag.replaceAll('.', '-')}-${process.pid}`;
    // The version's own layer: a file with its version, so every tag has a layer of its own.
    await execa('docker', ['run', '--name', container, '--network', 'none', base, 'sh', '-c', `echo ${tag} > /www/index.html`]);
    try {
      await execa('docker', ['commit', '--change', `CMD ${JSON.stringify(['/bin/sh', '-c', command(name, tag)])}`, container, image]);
    } finally {
      await execa('docker', ['rm', '-f', container]);
    }
    await execa('docker', ['push', image]);
    images[tag] = image;
  }
  await execa('docker', ['rmi', base]);
  return images;
}

function command(name: string, tag: string): string {
  const hello = `echo ${name} ${tag}`;
  if (tag === '2.1.0') return `${hello}; exit 3`;
  // `sleep & wait` rather than `exec sleep`: a shell waiting in `wait` runs its trap at once.
  const serve = tag === '2.0.0' ? 'httpd -f -p 80 -h /www & ' : '';
  return `${hello}; trap 'exit 0' TERM INT; ${serve}sleep 2147483647 & wait`;
}

/** Removes every local image of `HOST/NAME`, so the next pull has to fetch its layers. */
export async function removeLocalImages(image: string): Promise<void> {
  // By id, as an image pulled by digest has no tag to name it by.
  const { stdout } = await execa('docker', ['images', '--quiet', '--no-trunc', image]);
  const ids = [...new Set(stdout.split('\n').filter(Boolean))];
  if (ids.length > 0) await execa('docker', ['rmi', '-f', ...ids]);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}


/** Removes the images a test pushed from the engine, then stops its registry. */
export async function tearDownRegistry(registry: TestRegistry | undefined, name: string): Promise<void> {
  if (!registry) return;
  try {
    await removeLocalImages(`${registry.host}/${name}`);
  } finally {
    await registry.stop();
  }
}
