/**
 * A client of the Registry HTTP API v2 (the distribution spec), spoken directly over node's
 * http(s), not through the Docker engine: listing tags and reading manifest digests need no
 * engine, and must keep working while the engine is down.
 *
 * Auth follows the registry's challenge: a `401` with `WWW-Authenticate: Bearer realm=...`
 * sends us to the token service (anonymously, or with the given credentials as Basic), and the
 * request is retried once with the token; `Basic` challenges get the credentials directly.
 * Tokens are kept per scope for the client's life and fetched again when refused.
 *
 * Every failure is an `ImageError` whose code says what an operator can do about it: the image
 * does not exist, the registry is not there, it is too slow, or it refuses us.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { ImageError } from './image-error.js';
import { DOCKER_HUB } from './image-ref.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryClientOptions {
  /** Where the API lives, without `/v2`: `http://127.0.0.1:5000`, `https://ghcr.io`. */
  url: string;
  credentials?: RegistryCredentials;
  /** Per HTTP request, from sending it to the whole answer read. */
  timeoutMs?: number;
}

/** What `GET` and `HEAD` on a manifest may answer with, so any single or multi-arch image fits. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

const DEFAULT_TIMEOUT_MS = 10_000;
/** A tag list or manifest larger than this is no answer we can use; it is refused, not buffered. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Bounds a registry whose `Link` headers never end. */
const MAX_PAGES = 1_000;
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class RegistryClient {
  readonly url: string;
  private readonly credentials: RegistryCredentials | undefined;
  private readonly timeoutMs: number;
  /** Bearer tokens by scope (`repository:app:pull`). */
  private readonly tokens = new Map<string, string>();

  constructor(options: RegistryClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * For the registry part of an image ref. Docker Hub's API lives on its own host; loopback
   * registries speak plain http, as dockerd lets them; any other registry is https.
   */
  static forRegistry(registry: string, options: Omit<RegistryClientOptions, 'url'> = {}): RegistryClient {
    const loopback = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/.test(registry);
    const url =
      registry === DOCKER_HUB ? 'https://registry-1.docker.io' : `${loopback ? 'http' : 'https'}://${registry}`;
    return new RegistryClient({ ...options, url });
  }

  /**
   * Every tag of the repository, in the registry's order, following `Link: <...>; rel="next"`
   * across pages. `pageSize` asks for pages of that many (`?n=`); the registry may cap it.
   */
  async listTags(repository: string, { pageSize }: { pageSize?: number } = {}): Promise<string[]> {
    const tags: string[] = [];
    const seen = new Set<string>();
    let next: string | undefined = `${this.url}/v2/${repository}/tags/list${pageSize ? `?n=${pageSize}` : ''}`;
    while (next !== undefined) {
      if (seen.has(next) || seen.size >= MAX_PAGES) {
        throw new ImageError('REGISTRY_ERROR', `${this.url}: the tag list of ${repository} does not end (page ${seen.size})`);
      }
      seen.add(next);
      const answer = await this.send('GET', next, repository, { Accept: 'application/json' });
      if (answer.status !== 200) throw this.failure(answer, repository);
      const page = parseJson(answer.body, `${this.url}: the tag list of ${repository}`) as { tags?: unknown };
      // A repository whose tags were all deleted lists `"tags": null`.
      if (page.tags !== null && page.tags !== undefined) {
        if (!Array.isArray(page.tags) || !page.tags.every((t) => typeof t === 'string')) {
          throw new ImageError('REGISTRY_ERROR', `${this.url}: the tag list of ${repository} is not a list of strings`);
        }
        tags.push(...(page.tags as string[]));
      }
      next = nextPage(answer.headers.link, next);
    }
    return tags;
  }

  /**
   * The digest (`sha256:...`) of the manifest a tag points to: the index for a multi-arch
   * image, as `docker pull` records it in the image's repo digests. A `HEAD` answers cheaply;
   * when it gives no `Docker-Content-Digest`, the manifest is fetched and hashed.
   */
  async manifestDigest(repository: string, reference: string): Promise<string> {
    const url = `${this.url}/v2/${repository}/manifests/${reference}`;
    const accept = { Accept: MANIFEST_MEDIA_TYPES.join(', ') };
    const head = await this.send('HEAD', url, repository, accept);
    const headDigest = head.status === 200 ? digestHeader(head.headers) : undefined;
    if (headDigest) return headDigest;
    // A HEAD's failure has no body to tell an unknown repository from an unknown tag; a GET has.
    const get = await this.send('GET', url, repository, accept);
    if (get.status !== 200) throw this.failure(get, repository, reference);
    return digestHeader(get.headers) ?? `sha256:${createHash('sha256').update(get.body).digest('hex')}`;
  }

  /** One request, through the auth challenge when there is one. */
  private async send(method: string, url: string, repository: string, headers: Record<string, string>): Promise<Answer> {
    const scope = `repository:${repository}:pull`;
    const token = this.tokens.get(scope);
    const first = await this.request(method, url, token ? { ...headers, Authorization: `Bearer ${token}` } : headers);
    if (first.status !== 401) return first;
    const challenge = parseChallenge(first.headers['www-authenticate']);
    if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      const fresh = await this.fetchToken(challenge.params, scope);
      this.tokens.set(scope, fresh);
      return this.request(method, url, { ...headers, Authorization: `Bearer ${fresh}` });
    }
    if (challenge?.scheme === 'basic' && this.credentials) {
      return this.request(method, url, { ...headers, Authorization: basic(this.credentials) });
    }
    return first;
  }

  private async fetchToken(params: Record<string, string>, fallbackScope: string): Promise<string> {
    const realm = new URL(params.realm as string);
    if (params.service) realm.searchParams.set('service', params.service);
    realm.searchParams.set('scope', params.scope ?? fallbackScope);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.credentials) headers.Authorization = basic(this.credentials);
    const answer = await this.request('GET', realm.toString(), headers);
    if (answer.status === 401 || answer.status === 403) {
      throw new ImageError('REGISTRY_AUTH_FAILED', `${realm.origin}: the token service refused ${this.credentials ? 'the credentials' : 'an anonymous token'} (HTTP ${answer.status})`);
    }
    if (answer.status !== 200) {
      throw new ImageError('REGISTRY_ERROR', `${realm.origin}: the token service answered HTTP ${answer.status}`);
    }
    const body = parseJson(answer.body, `${realm.origin}: the token`) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new ImageError('REGISTRY_ERROR', `${realm.origin}: the token service gave no token`);
    }
    return token;
  }

  /** The error for a non-200 answer, from its status and the registry's error codes. */
  private failure(answer: Answer, repository: string, reference?: string): ImageError {
    const codes = errorCodes(answer.body);
    const what = reference === undefined ? repository : `${repository}:${reference}`;
    if (answer.status === 404 || codes.includes('NAME_UNKNOWN') || codes.includes('MANIFEST_UNKNOWN')) {
      const message =
        reference !== undefined && !codes.includes('NAME_UNKNOWN')
          ? `${this.url}: ${repository} has no tag or manifest ${reference}`
          : `${this.url}: no repository ${repository}`;
      return new ImageError('IMAGE_NOT_FOUND', message);
    }
    if (answer.status === 401 || answer.status === 403) {
      // Docker Hub answers so for repositories that do not exist too, so both are said.
      return new ImageError('REGISTRY_AUTH_FAILED', `${this.url}: access to ${what} denied (HTTP ${answer.status}): it does not exist or needs credentials`);
    }
    const detail = codes.length ? ` (${codes.join(', ')})` : '';
    return new ImageError('REGISTRY_ERROR', `${this.url}: ${what}: HTTP ${answer.status}${detail}`);
  }

  private request(method: string, url: string, headers: Record<string, string>): Promise<Answer> {
    const target = new URL(url);
    const lib = target.protocol === 'https:' ? https : http;
    return new Promise<Answer>((resolve, reject) => {
      const req = lib.request(target, { method, headers: { 'User-Agent': 'spew', ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new ImageError('REGISTRY_ERROR', `${target.origin}: an answer larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', (err) => req.destroy(err));
      });
      const timer = setTimeout(() => {
        req.destroy(new ImageError('REGISTRY_TIMEOUT', `${target.origin}: no answer within ${this.timeoutMs} ms (${method} ${target.pathname})`));
      }, this.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err instanceof ImageError) reject(err);
        else if (err.code && UNREACHABLE.has(err.code)) {
          reject(new ImageError('REGISTRY_UNREACHABLE', `${target.origin}: registry unreachable (${err.code})`, { cause: err }));
        } else reject(new ImageError('REGISTRY_ERROR', `${target.origin}: ${err.message}`, { cause: err }));
      });
      req.end();
    });
  }
}

/** `Link: </v2/app/tags/list?last=b&n=2>; rel="next"`, resolved against the page it came with. */
function nextPage(link: string | string[] | undefined, current: string): string | undefined {
  for (const part of [link ?? []].flat().flatMap((l) => l.split(','))) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part);
    if (m && /rel="?next"?/.test(m[2] as string)) return new URL(m[1] as string, current).toString();
  }
  return undefined;
}

/** `Bearer realm="https://auth",service="registry",scope="repository:app:pull"` */
export function parseChallenge(header: string | undefined): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^\s*(\S+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[2] as string).matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: (m[1] as string).toLowerCase(), params };
}

function digestHeader(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['docker-content-digest'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function errorCodes(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString()) as { errors?: { code?: unknown }[] };
    return (parsed.errors ?? []).map((e) => e.code).filter((c): c is string => typeof c === 'string');
  } catch {
    return [];
  }
}

function parseJson(body: Buffer, what: string): object {
  try {
    const value: unknown = JSON.parse(body.toString());
    if (typeof value === 'object' && value !== null) return value;
  } catch {
    // Reported below with the rest.
  }
  throw new ImageError('REGISTRY_ERROR', `${what} is not a JSON object`);
}

function basic(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
