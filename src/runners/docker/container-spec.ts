/**
 * From an appliance definition to the engine's container create options. Pure: no engine call,
 * so every option is tested without Docker.
 *
 * Top-level keys mean for a container what they mean for a shell appliance (`command`, `env`,
 * `cwd`, `user`/`group`, `stdin`, `stop_signal`); the image is chosen by images/image-source.ts.
 * `runneropts` holds what only a container has:
 *
 *   entrypoint  string or argv array
 *   user        the user inside the container ("1000:1000", "app"); wins over the top-level
 *               user/group, which name a user of the host for shell appliances
 *   workdir     the working directory inside the container; wins over the top-level cwd
 *   ports       ["127.0.0.1:8080:80", "8081:81/udp", "9000"]   [[ip:]hostPort:]containerPort[/proto]
 *   volumes     ["/host/dir:/in/container[:ro]", "named-volume:/data"]   (alias: binds)
 *   network     network mode or network name
 *   labels      extra labels (the spew.* labels always win)
 *   memory      bytes, or "256m" / "1g" / "512k" (powers of 1024)
 *   cpus        number of CPUs, fractional allowed (NanoCpus)
 *
 * The engine's restart policy stays `no`: spew supervises.
 */
import type { ContainerCreateOptions } from 'dockerode';
import { type ApplianceDefinition } from '../../model/appliance-definition.js';
import { argvOf } from '../../model/command.js';
import { contentHash } from '../../common/stable-json.js';

export const LABEL_REF = 'spew.ref';
export const LABEL_NAME = 'spew.name';
export const LABEL_VERSION = 'spew.version';
/** The instance that made it (the agent's state dir): a lost state cannot hide it. */
export const LABEL_INSTANCE = 'spew.instance';

/** A runneropts value that cannot become a container option; the start fails with its message. */
export class ContainerSpecError extends Error {}

/** Container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]; appliance names are mapped onto that. */
export function containerName(def: ApplianceDefinition): string {
  return `spew-${def.name.replace(/[^a-zA-Z0-9_.-]/g, '_')}-${def.ref}`;
}

/**
 * The config version a container was made from: a hash of the definition, keys sorted, so the
 * same config gives the same version on every agent.
 */
export function configVersion(def: ApplianceDefinition): string {
  return contentHash(def);
}

export function spewLabels(def: ApplianceDefinition): Record<string, string> {
  return { [LABEL_REF]: def.ref, [LABEL_NAME]: def.name, [LABEL_VERSION]: configVersion(def) };
}

/** The engine's create options for `def` running `image` (`registry/repository:tag`), made by `instance`. */
export function createOptions(def: ApplianceDefinition, image: string, instance?: string): ContainerCreateOptions {
  const opts = def.runneropts;
  const ports = parsePorts(stringList(opts.ports, 'ports'));
  const binds = [...stringList(opts.volumes, 'volumes'), ...stringList(opts.binds, 'binds')];
  const cmd = commandArgv(def.command);
  const entrypoint = opts.entrypoint === undefined ? undefined : argvOption(opts.entrypoint, 'entrypoint');
  const memory = opts.memory === undefined ? undefined : parseMemory(opts.memory);
  const nanoCpus = opts.cpus === undefined ? undefined : parseCpus(opts.cpus);
  const network = opts.network === undefined ? undefined : nonEmptyString(opts.network, 'network');
  const topUser = def.user === undefined ? undefined : def.group === undefined ? def.user : `${def.user}:${def.group}`;
  const user = opts.user === undefined ? topUser : nonEmptyString(opts.user, 'user');
  const workdir = opts.workdir === undefined ? def.cwd : nonEmptyString(opts.workdir, 'workdir');
  return {
    name: containerName(def),
    Image: image,
    ...(cmd ? { Cmd: cmd } : {}),
    ...(entrypoint ? { Entrypoint: entrypoint } : {}),
    Env: Object.entries({ ...def.env, SPEW_APPLIANCE: def.name, SPEW_REF: def.ref }).map(([k, v]) => `${k}=${v}`),
    ...(workdir !== undefined ? { WorkingDir: workdir } : {}),
    ...(user !== undefined ? { User: user } : {}),
    Labels: { ...labelMap(opts.labels), ...spewLabels(def), ...(instance !== undefined && { [LABEL_INSTANCE]: instance }) },
    StopSignal: def.stop_signal,
    Tty: false,
    OpenStdin: def.stdin,
    StdinOnce: false,
    AttachStdin: def.stdin,
    ...(ports.exposed ? { ExposedPorts: ports.exposed } : {}),
    HostConfig: {
      RestartPolicy: { Name: 'no' },
      ...(ports.bindings ? { PortBindings: ports.bindings } : {}),
      ...(binds.length > 0 ? { Binds: binds } : {}),
      ...(network !== undefined ? { NetworkMode: network } : {}),
      // Swap equal to memory: the limit is the limit, as on a host without swap.
      ...(memory !== undefined ? { Memory: memory, MemorySwap: memory } : {}),
      ...(nanoCpus !== undefined ? { NanoCpus: nanoCpus } : {}),
    },
  };
}

/** Whether it publishes a port on a fixed host port: a second container of it could not start. */
export function publishesFixedHostPorts(def: ApplianceDefinition): boolean {
  const { bindings } = parsePorts(stringList(def.runneropts.ports, 'ports'));
  return Object.values(bindings ?? {}).some((list) => list.some((b) => b.HostPort !== undefined && b.HostPort !== '' && b.HostPort !== '0'));
}

/** An empty command leaves the image's own CMD. */
function commandArgv(command: string | string[]): string[] | undefined {
  if (typeof command === 'string') return command === '' ? undefined : argvOf(command);
  return command.length === 0 ? undefined : command;
}

function argvOption(value: unknown, key: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new ContainerSpecError(`runneropts.${key} must be a string or an array of strings`);
}

function nonEmptyString(value: unknown, key: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new ContainerSpecError(`runneropts.${key} must be a non-empty string`);
}

function stringList(value: unknown, key: string): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new ContainerSpecError(`runneropts.${key} must be an array of strings`);
}

function labelMap(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'string')) return Object.fromEntries(entries) as Record<string, string>;
  }
  throw new ContainerSpecError('runneropts.labels must be a table of strings');
}

type PortMap = Record<string, { HostIp?: string; HostPort?: string }[]>;

/** `[[ip:]hostPort:]containerPort[/proto]`; an IPv6 host address goes in brackets. */
export function parsePorts(specs: string[]): { exposed?: Record<string, object>; bindings?: PortMap } {
  if (specs.length === 0) return {};
  const exposed: Record<string, object> = {};
  const bindings: PortMap = {};
  for (const spec of specs) {
    const match = /^(?:(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+|[a-zA-Z0-9.-]+):)?(\d*):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(spec);
    if (!match) throw new ContainerSpecError(`runneropts.ports: "${spec}" is not [[ip:]hostPort:]containerPort[/proto]`);
    const [, ip, hostPort, containerPort, proto] = match;
    const key = `${containerPort}/${proto ?? 'tcp'}`;
    exposed[key] = {};
    // A bare container port is exposed only; with a host part it is published.
    if (hostPort !== undefined) {
      (bindings[key] ??= []).push({
        ...(ip ? { HostIp: ip.replace(/^\[|\]$/g, '') } : {}),
        HostPort: hostPort,
      });
    }
  }
  return { exposed, ...(Object.keys(bindings).length > 0 ? { bindings } : {}) };
}

const MEMORY_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes, or Docker's own notation: "256m", "1g", "512k" (case-insensitive, powers of 1024). */
export function parseMemory(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(value.trim()) : null;
  const unit = match ? MEMORY_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new ContainerSpecError(`runneropts.memory: ${JSON.stringify(value)} is not bytes or a size like "256m"`);
  return Math.floor(Number(match[1]) * unit);
}

export function parseCpus(value: unknown): number {
  const cpus = typeof value === 'string' ? Number(value) : value;
  if (typeof cpus !== 'number' || !Number.isFinite(cpus) || cpus <= 0) {
    throw new ContainerSpecError(`runneropts.cpus: ${JSON.stringify(value)} is not a positive number of CPUs`);
  }
  return Math.round(cpus * 1e9);
}
