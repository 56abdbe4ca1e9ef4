/**
 * Errors that cross a boundary (API answer, CLI exit) carry a stable code. The code decides the
 * HTTP status and the CLI exit status, so scripts can rely on both.
 */

/** What can go wrong with images: resolving, asking a registry, pulling. */
export type ImageErrorCode =
  /** A `vsn` constraint that does not parse. */
  | 'INVALID_VERSION_CONSTRAINT'
  /** An image reference that does not parse. */
  | 'INVALID_IMAGE_REF'
  /** The registry does not know the repository, or the repository has no such tag. */
  | 'IMAGE_NOT_FOUND'
  /** Connection refused, unknown host, reset: the registry is down or not there. */
  | 'REGISTRY_UNREACHABLE'
  /** The registry (or the engine pulling from it) did not answer within the deadline. */
  | 'REGISTRY_TIMEOUT'
  /** The registry refused our credentials, or the token service did. */
  | 'REGISTRY_AUTH_FAILED'
  /** Any other answer we cannot use: a 5xx, a malformed body. */
  | 'REGISTRY_ERROR'
  /** A pull that did not finish within its deadline, or went silent. */
  | 'IMAGE_PULL_TIMEOUT'
  /** The engine reported a pull failure that is none of the above. */
  | 'IMAGE_PULL_FAILED'
  /** The Docker engine's socket does not answer. */
  | 'DOCKER_UNREACHABLE';

export type ErrorCode =
  | 'APPLIANCE_NOT_FOUND'
  | 'NAME_TAKEN'
  | 'INVALID_REQUEST'
  | 'INVALID_CONFIG'
  | 'ROUTE_NOT_FOUND'
  | 'AGENT_UNREACHABLE'
  | 'AGENT_BUSY'
  | 'UPGRADE_IN_PROGRESS'
  | 'VERSION_NOT_FOUND'
  /** A file or dir the agent keeps things in is a link, someone else's, or open to others. */
  | 'UNSAFE_PATH'
  /** The state file and its copy do not load: the agent will not guess. */
  | 'STATE_DAMAGED'
  /** A cluster command on an agent with no `[cluster]` table. */
  | 'NOT_IN_CLUSTER'
  /** etcd does not answer: cluster commands fail, local ones go on. */
  | 'CLUSTER_UNREACHABLE'
  /** The host that holds an appliance (or was asked to run one) has no live lease. */
  | 'HOST_UNREACHABLE'
  /** The host asked did not answer within `[cluster] ack_timeout`. */
  | 'NOT_ACKNOWLEDGED'
  | 'INTERNAL'
  | ImageErrorCode;

const HTTP_STATUS: Record<ErrorCode, number> = {
  APPLIANCE_NOT_FOUND: 404,
  NAME_TAKEN: 409,
  INVALID_REQUEST: 400,
  INVALID_CONFIG: 400,
  ROUTE_NOT_FOUND: 404,
  AGENT_UNREACHABLE: 503,
  AGENT_BUSY: 409,
  UPGRADE_IN_PROGRESS: 409,
  VERSION_NOT_FOUND: 404,
  UNSAFE_PATH: 500,
  STATE_DAMAGED: 500,
  NOT_IN_CLUSTER: 409,
  CLUSTER_UNREACHABLE: 503,
  HOST_UNREACHABLE: 503,
  NOT_ACKNOWLEDGED: 504,
  INTERNAL: 500,
  INVALID_VERSION_CONSTRAINT: 400,
  INVALID_IMAGE_REF: 400,
  IMAGE_NOT_FOUND: 404,
  REGISTRY_UNREACHABLE: 502,
  REGISTRY_TIMEOUT: 504,
  REGISTRY_AUTH_FAILED: 502,
  REGISTRY_ERROR: 502,
  IMAGE_PULL_TIMEOUT: 504,
  IMAGE_PULL_FAILED: 502,
  DOCKER_UNREACHABLE: 503,
};

export class SpewError extends Error {
  /** `cause`: the error this one stands for (a failed read, a transport error), kept for the log. */
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpewError';
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

/** A code read from outside (another host's answer) that spew knows. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(HTTP_STATUS, value);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The error's stack, then each of its causes' after `caused by: `: what the agent log keeps of a bug. */
export function errorStack(err: unknown): string {
  const shown = [err];
  // A cause that leads back to an error shown already ends the chain.
  for (let cause = causeOf(err); cause !== undefined && !shown.includes(cause); cause = causeOf(cause)) shown.push(cause);
  return shown.map((e) => (e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e))).join('\ncaused by: ');
}

function causeOf(err: unknown): unknown {
  return err instanceof Error ? err.cause : undefined;
}
