/**
 * Image references as Docker reads them: `[registry/]path[:tag][@digest]`.
 *
 * The first path component is a registry only when it looks like a host: it has a `.` or a `:`
 * (`127.0.0.1:5000`, `ghcr.io`), is `localhost`, or has an upper-case letter (repository names
 * never do). Otherwise the registry is Docker Hub, whose single-component names live under
 * `library/` (`busybox` is `docker.io/library/busybox`). Both rules are Docker's own, so a ref
 * written for `docker pull` means the same here.
 */
import { ImageError } from './image-error.js';

export interface ImageRef {
  /** Host and optional port, `docker.io` for Docker Hub. */
  registry: string;
  /** The path inside the registry, `library/busybox`, `app`, `team/app`. */
  repository: string;
  tag?: string;
  /** `sha256:...`; when present it pins the image and the tag is informational. */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;
/** Docker's limit on the name part (registry and repository). */
const MAX_NAME = 255;

/** Throws `INVALID_IMAGE_REF`, saying which part is wrong. */
export function parseImageRef(text: string): ImageRef {
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(text, `"${digest}" is not a digest (expected sha256:HEX)`);
  }
  let tag: string | undefined;
  // A colon after the last slash is a tag; one before it belongs to the registry's port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(text, `"${tag}" is not a tag (letters, digits, _ . -, at most 128)`);
  }
  if (rest === '') throw invalid(text, 'the name is empty');
  if (rest.length > MAX_NAME) throw invalid(text, `the name is longer than ${MAX_NAME} characters`);

  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:A-Z]/.test(first) || first === 'localhost') {
      if (!HOST.test(first)) throw invalid(text, `"${first}" is not a registry host`);
      registry = first === 'index.docker.io' ? DOCKER_HUB : first;
      repository = rest.slice(slash + 1);
    }
  }
  for (const part of repository.split('/')) {
    if (!COMPONENT.test(part)) {
      throw invalid(text, `"${part}" is not a repository name component (lower-case letters, digits, . _ -)`);
    }
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/**
 * Back to text. `familiar` leaves out what Docker fills in (`docker.io/`, `library/`), as
 * `docker images` shows names; otherwise the name is fully qualified.
 */
export function formatImageRef(ref: ImageRef, { familiar = false } = {}): string {
  let text = imageName(ref, { familiar });
  if (ref.tag !== undefined) text += `:${ref.tag}`;
  if (ref.digest !== undefined) text += `@${ref.digest}`;
  return text;
}

/** `registry/repository`, without tag or digest: what `docker images` groups tags under. */
export function imageName(ref: ImageRef, { familiar = false } = {}): string {
  if (familiar && ref.registry === DOCKER_HUB) {
    return ref.repository.startsWith('library/') && ref.repository.split('/').length === 2
      ? ref.repository.slice('library/'.length)
      : ref.repository;
  }
  return `${ref.registry}/${ref.repository}`;
}

function invalid(text: string, why: string): ImageError {
  return new ImageError('INVALID_IMAGE_REF', `invalid image reference "${text}": ${why}`);
}
