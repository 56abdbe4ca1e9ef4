/**
 * Errors from image resolution, the registry and pulls: a SpewError whose code is one of the
 * image codes, so the API answers them like any other error and callers can narrow on them.
 */
import { SpewError, type ImageErrorCode } from '../common/errors.js';

export type { ImageErrorCode };

export class ImageError extends SpewError {
  constructor(
    override readonly code: ImageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'ImageError';
  }
}
