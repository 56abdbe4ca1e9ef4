/**
 * Pulls images through the Docker engine and reads which tags it already holds.
 *
 * The engine does the pulling (it owns the image store, the registry mirrors and credentials
 * configured for it); this turns its JSON progress stream into typed per-layer events, and its
 * failures, whether in the HTTP answer or inside the stream, into `ImageError`s with codes.
 *
 * A pull never hangs: it is aborted when the engine reports nothing for `stallMs`, or when it
 * has not finished within `deadlineMs`, whichever comes first. A large image on a slow link
 * keeps reporting, so it is the stall that catches a dead link early.
 */
import type Dockerode from 'dockerode';
import { ImageError, type ImageErrorCode } from './image-error.js';
import { formatImageRef, imageName, type ImageRef } from './image-ref.js';
import type { LayerProgress, LayerStatus } from '../model/image-pull.js';

export interface PullResult {
  /** What was pulled, as given to the engine. */
  image: string;
  /** `sha256:...`, the local image id. */
  imageId: string;
  /** `registry/repo@sha256:...`, the manifest it came from; absent if the engine gave none. */
  repoDigest: string | undefined;
}

export interface PullOptions {
  onProgress?: (event: LayerProgress) => void;
  /** The whole pull. */
  deadlineMs?: number;
  /** Silence from the engine: no progress message for this long. */
  stallMs?: number;
}

const DEFAULT_DEADLINE_MS = 10 * 60_000;
const DEFAULT_STALL_MS = 60_000;

/** The engine's progress message, as its `/images/create` stream sends it. */
interface EngineMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** The engine's words for each layer state; any other status (`Pulling from x`, `Digest:`) is about the image. */
const LAYER_STATUS: Record<string, LayerStatus> = {
  'Pulling fs layer': 'waiting',
  Waiting: 'waiting',
  'Retrying in': 'waiting',
  Downloading: 'downloading',
  'Verifying Checksum': 'downloading',
  'Download complete': 'downloading',
  Extracting: 'extracting',
  'Pull complete': 'done',
  'Already exists': 'done',
};

export class ImagePuller {
  constructor(private readonly docker: Dockerode) {}

  /**
   * Pulls `ref` (its digest when it has one, else its tag, else `latest`), reporting each
   * layer's progress, and answers with the local image id and the repo digest.
   */
  async pull(ref: ImageRef, options: PullOptions = {}): Promise<PullResult> {
    const image = ref.digest
      ? `${imageName(ref)}@${ref.digest}`
      : formatImageRef({ ...ref, tag: ref.tag ?? 'latest' });
    const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    const stallMs = options.stallMs ?? DEFAULT_STALL_MS;
    const abort = new AbortController();
    let reason: ImageError | undefined;
    const stop = (err: ImageError) => {
      reason ??= err;
      abort.abort(err);
    };
    const deadline = setTimeout(
      () => stop(new ImageError('IMAGE_PULL_TIMEOUT', `pulling ${image}: not done within ${deadlineMs} ms`)),
      deadlineMs,
    );
    let stall: ReturnType<typeof setTimeout> | undefined;
    const armStall = () => {
      clearTimeout(stall);
      stall = setTimeout(
        () => stop(new ImageError('IMAGE_PULL_TIMEOUT', `pulling ${image}: no progress from the engine for ${stallMs} ms`)),
        stallMs,
      );
    };
    armStall();
    try {
      let stream: NodeJS.ReadableStream;
      try {
        stream = await this.docker.pull(image, { abortSignal: abort.signal });
      } catch (err) {
        throw reason ?? classify(image, err);
      }
      const digest = await this.follow(stream, image, abort.signal, () => armStall(), options.onProgress);
      if (reason) throw reason;
      const info = await this.docker.getImage(image).inspect();
      const name = imageName(ref, { familiar: true });
      const repoDigest = digest
        ? `${name}@${digest}`
        : info.RepoDigests?.find((d) => d.startsWith(`${name}@`) || d.startsWith(`${imageName(ref)}@`));
      return { image, imageId: info.Id, repoDigest };
    } catch (err) {
      throw reason ?? classify(image, err);
    } finally {
      clearTimeout(deadline);
      clearTimeout(stall);
    }
  }

  /**
   * The tags of `ref`'s repository that the engine holds, in no order. Docker names Docker Hub
   * images by their familiar name (`busybox:1.36`), so that is what is matched.
   */
  async localTags(ref: ImageRef): Promise<string[]> {
    const name = imageName(ref, { familiar: true });
    let images: Dockerode.ImageInfo[];
    try {
      images = await this.docker.listImages({ filters: { reference: [name] } });
    } catch (err) {
      throw classify(name, err);
    }
    const tags = new Set<string>();
    for (const repoTag of images.flatMap((i) => i.RepoTags ?? [])) {
      if (repoTag.startsWith(`${name}:`)) tags.add(repoTag.slice(name.length + 1));
    }
    return [...tags];
  }

  /** Reads the progress stream to its end; answers the manifest digest the engine named. */
  private follow(
    stream: NodeJS.ReadableStream,
    image: string,
    signal: AbortSignal,
    onMessage: () => void,
    onProgress: PullOptions['onProgress'],
  ): Promise<string | undefined> {
    const layers = new Map<string, LayerProgress>();
    let digest: string | undefined;
    let failure: ImageError | undefined;
    return new Promise((resolve, reject) => {
      const onAbort = () => (stream as unknown as { destroy?: () => void }).destroy?.();
      signal.addEventListener('abort', onAbort, { once: true });
      this.docker.modem.followProgress(
        stream,
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) reject(signal.reason);
          else if (failure) reject(failure);
          else if (err) reject(classify(image, err));
          else resolve(digest);
        },
        (message: EngineMessage) => {
          onMessage();
          if (message.error !== undefined || message.errorDetail?.message !== undefined) {
            failure ??= classify(image, new Error(message.errorDetail?.message ?? message.error));
            return;
          }
          const status = message.status ?? '';
          const named = /^Digest: (\S+)/.exec(status);
          if (named) digest = named[1];
          const event = layerEvent(message, layers);
          if (event) {
            layers.set(event.layer, event);
            onProgress?.(event);
          }
        },
      );
    });
  }
}

/** The layer event a message means, carrying the size over from earlier messages of the layer. */
function layerEvent(message: EngineMessage, layers: Map<string, LayerProgress>): LayerProgress | undefined {
  const key = Object.keys(LAYER_STATUS).find((s) => message.status?.startsWith(s));
  if (key === undefined || message.id === undefined) return undefined;
  const status = LAYER_STATUS[key] as LayerStatus;
  const before = layers.get(message.id);
  const total = message.progressDetail?.total ?? before?.total ?? null;
  const finished = key === 'Download complete' || key === 'Verifying Checksum' || status === 'done';
  const current = finished ? (total ?? before?.current ?? 0) : (message.progressDetail?.current ?? 0);
  return { layer: message.id, status, current, total };
}

/** Turns what the engine said into a code: the engine words its registry errors in prose. */
function classify(image: string, err: unknown): ImageError {
  if (err instanceof ImageError) return err;
  const e = err as { message?: string; code?: string; statusCode?: number; json?: { message?: string } | null };
  const text = (e.json?.message ?? e.message ?? String(err)).replace(/^\(HTTP code \d+\) [\w ]+ - /, '').trim();
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT' || e.code === 'EACCES') {
    return new ImageError('DOCKER_UNREACHABLE', `pulling ${image}: the Docker engine is unreachable (${e.code})`, { cause: err });
  }
  const code = codeFor(text, e.statusCode);
  return new ImageError(code, `pulling ${image}: ${text}`, { cause: err });
}

function codeFor(text: string, status: number | undefined): ImageErrorCode {
  if (/manifest unknown|name unknown|not found|repository does not exist|pull access denied/i.test(text) || status === 404) {
    return 'IMAGE_NOT_FOUND';
  }
  if (/i\/o timeout|timeout exceeded|deadline exceeded|TLS handshake timeout/i.test(text)) return 'REGISTRY_TIMEOUT';
  if (/connection refused|no such host|network is unreachable|no route to host|connection reset|dial tcp|EOF$/i.test(text)) {
    return 'REGISTRY_UNREACHABLE';
  }
  if (/unauthorized|authentication required|denied/i.test(text)) return 'REGISTRY_AUTH_FAILED';
  return 'IMAGE_PULL_FAILED';
}
