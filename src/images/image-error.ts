/**
 * Errors from image resolution, the registry and pulls. They carry a stable code like
 * `SpewError` does; they are a class of their own only until these codes join `ErrorCode` in
 * `common/errors.ts`, when this file becomes a re-export of `SpewError`.
 */
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

export class ImageError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ImageError';
  }
}
