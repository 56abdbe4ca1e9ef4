/**
 * Errors from image resolution, the registry and pulls: a SpewError whose code is one of the
 * image codes, so the API answers them like any other error and callers can narrow on them.
 */
import { SpewError, type ErrorCode } from '../common/errors.js';

export type ImageErrorCode = Extract<
  ErrorCode,
  | 'INVALID_VERSION_CONSTRAINT'
  | 'INVALID_IMAGE_REF'
  | 'IMAGE_NOT_FOUND'
  | 'REGISTRY_UNREACHABLE'
  | 'REGISTRY_TIMEOUT'
  | 'REGISTRY_AUTH_FAILED'
  | 'REGISTRY_ERROR'
  | 'IMAGE_PULL_TIMEOUT'
  | 'IMAGE_PULL_FAILED'
  | 'DOCKER_UNREACHABLE'
>;

export class ImageError extends SpewError {
  constructor(
    override readonly code: ImageErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'ImageError';
  }
}
