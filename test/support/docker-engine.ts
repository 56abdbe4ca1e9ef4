/**
 * A real Docker engine for tests: uses the one answering on the socket, or starts `dockerd`
 * (installed by the test script: `docker.io`) and remembers that it did, so only a dockerd this
 * code started is ever stopped. Images are made locally from busybox-static with `docker
 * import`: no registry is reachable from the test machines.
 *
 * Idempotent and usable from a vitest `globalSetup` and from tests alike: every call looks at the
 * engine and the images as they are now.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DOCKER_SOCKET = '/var/run/docker.sock';
/** Where a dockerd started here records its PID, so a later test process can stop it. */
const PID_FILE = join(tmpdir(), 'spew-test-dockerd.pid');
const LOG_FILE = join(tmpdir(), 'spew-test-dockerd.log');
const BUSYBOX = '/bin/busybox';
const BUSYBOX_LINKS = ['sh', 'sleep', 'echo', 'httpd', 'cat', 'true', 'false', 'kill', 'ls', 'printf', 'wget', 'head', 'tail', 'tr', 'yes', 'dd', 'env', 'pwd', 'id'];

export interface DockerEngine {
  socket: string;
  /** True when this code started the dockerd (now or in an earlier call of this machine's tests). */
  startedByUs: boolean;
  /** Ends the dockerd this code started, and waits until it is gone; does nothing otherwise. */
  stop(): Promise<void>;
}

/** True when the engine answers `GET /_ping` on the socket. */
export function pingEngine(socket = DOCKER_SOCKET, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socket)) return resolve(false);
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The PID of a dockerd started here that still runs, if any. */
function ourDockerd(): number | undefined {
  try {
    const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
    if (pid > 0 && alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dockerd')) return pid;
  } catch {
    // no record, or the process is gone
  }
  return undefined;
}

async function until(what: string, probe: () => boolean | Promise<boolean>, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts dockerd when nothing answers on the socket; waits until the engine answers. */
export async function ensureDockerEngine(deadlineMs = 60_000): Promise<DockerEngine> {
  const socket = DOCKER_SOCKET;
  let startedByUs = false;
  if (!(await pingEngine(socket))) {
    // One another test run started and is still bringing up is not ours to stop later.
    if (ourDockerd() === undefined) {
      startDockerd();
      startedByUs = true;
    }
    await until(`dockerd to answer on ${socket} (log: ${LOG_FILE})`, () => pingEngine(socket), deadlineMs);
  }
  return { socket, startedByUs, stop: () => stopDockerd() };
}

function startDockerd(): number {
  const log = openSync(LOG_FILE, 'a');
  const child = spawn('dockerd', ['--host', `unix://${DOCKER_SOCKET}`], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  if (child.pid === undefined) throw new Error('could not spawn dockerd (is docker.io installed?)');
  writeFileSync(PID_FILE, `${child.pid}\n`);
  return child.pid;
}

/** Stops a dockerd started here (never any other); resolves once it has exited. */
export async function stopDockerd(deadlineMs = 30_000): Promise<void> {
  const pid = ourDockerd();
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  await until('dockerd to exit', () => !alive(pid), deadlineMs);
  rmSync(PID_FILE, { force: true });
}

/** Stops the dockerd started here and starts it again; only when this code started it. */
export async function restartDockerd(deadlineMs = 60_000): Promise<void> {
  if (ourDockerd() === undefined) throw new Error('refusing to restart a dockerd these tests did not start');
  await stopDockerd();
  startDockerd();
  await until('dockerd to answer again', () => pingEngine(), deadlineMs);
}

/**
 * A dockerd of the test's own, beside the shared one: its own socket, data root, exec root (so
 * its own containerd) and its own bridge interface, made here and deleted by `destroy`. Never
 * `--bridge none`: a dockerd started so deletes `docker0`, the shared engine's bridge. Its
 * containers should use `network = "none"` (no iptables rules are set up for this bridge).
 * Tests that stop and restart an engine use this one, so other tests never notice.
 */
export interface PrivateEngine {
  socket: string;
  /** Ends the engine (SIGTERM, as a service manager would) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same data; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

export async function startPrivateEngine(extraArgs: string[] = [], deadlineMs = 60_000): Promise<PrivateEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'spew-dockerd-'));
  const socket = join(dir, 'docker.sock');
  let pid: number | undefined;
  // Interface names have at most 15 characters; the temp dir's random suffix keeps them apart.
  const bridge = `spew${dir.slice(-6).replace(/[^a-zA-Z0-9]/g, 'x')}`;
  const subnet = 200 + Math.floor(Math.random() * 50);
  await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `172.31.${subnet}.1/24`, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
  const args = [
    '--host', `unix://${socket}`, '--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'docker.pid'), '--bridge', bridge, '--iptables=false', '--ip6tables=false', ...extraArgs,
  ];
  const engine: PrivateEngine = {
    socket,
    async start() {
      const log = openSync(join(dir, 'dockerd.log'), 'a');
      const child = spawn('dockerd', args, { detached: true, stdio: ['ignore', log, log] });
      child.unref();
      pid = child.pid;
      await until(`the private dockerd to answer (log: ${join(dir, 'dockerd.log')})`, () => pingEngine(socket), deadlineMs);
    },
    async stop() {
      const running = pid;
      if (running === undefined || !alive(running)) return;
      process.kill(running, 'SIGTERM');
      await until('the private dockerd to exit', () => !alive(running), deadlineMs);
      pid = undefined;
    },
    async destroy() {
      if (pid !== undefined && alive(pid)) await removeContainersByLabel('spew.ref', socket).catch(() => undefined);
      await engine.stop();
      // dockerd leaves its data root mounted on itself (and, after a crash, more): deepest first.
      const mounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[1] ?? '')
        .filter((point) => point.startsWith(`${dir}/`))
        .sort((a, b) => b.length - a.length);
      for (const point of mounts) await run('umount', ['-l', point]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    },
  };
  await engine.start();
  return engine;
}

async function imageExists(ref: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    await run('docker', ['image', 'inspect', ref], { env });
    return true;
  } catch {
    return false;
  }
}

function dockerEnv(socket?: string): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: socket ? `unix://${socket}` : (process.env.DOCKER_HOST ?? `unix://${DOCKER_SOCKET}`) };
}

/**
 * Makes `name:tag` from a busybox-static root filesystem unless it exists. `cmd` becomes the
 * image's CMD (the default is `sh`); `socket` picks an engine other than the shared one.
 */
export async function ensureBusyboxImage(
  name: string,
  tag = 'latest',
  opts: { cmd?: string[]; socket?: string } = {},
): Promise<string> {
  const ref = `${name}:${tag}`;
  const env = dockerEnv(opts.socket);
  if (await imageExists(ref, env)) return ref;
  const root = mkdtempSync(join(tmpdir(), 'spew-busybox-'));
  try {
    for (const dir of ['bin', 'tmp', 'etc', 'www', 'proc', 'sys', 'dev']) mkdirSync(join(root, dir));
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    for (const link of BUSYBOX_LINKS) symlinkSync('busybox', join(root, 'bin', link));
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(join(root, 'www', 'index.html'), `hello from ${ref}\n`);
    const cmd = JSON.stringify(opts.cmd ?? ['sh']);
    // `docker import` reads the tarball on stdin; tar writes it straight into the pipe.
    await run('sh', ['-c', `tar -C "$1" -c . | docker import --change "CMD $2" - "$3"`, 'import', root, cmd, ref], { env });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return ref;
}

/** Removes every container carrying `label` (e.g. `spew.ref` or `spew.test=NAME`). */
export async function removeContainersByLabel(label: string, socket?: string): Promise<void> {
  const env = dockerEnv(socket);
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=${label}`], { env });
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await run('docker', ['rm', '-f', ...ids], { env });
}
