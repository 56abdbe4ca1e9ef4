/**
 * Which image a container appliance runs, and making sure the engine has it: the tag comes from
 * the pinned `image_tag`, else `tag`, else the spec's `vsn` constraint resolved against the
 * registry's and the engine's tags (else `latest`); a tag the engine lacks is pulled.
 */
import type Dockerode from 'dockerode';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { ImageError } from './image-error.js';
import { formatImageRef, imageName, parseImageRef, type ImageRef } from './image-ref.js';
import { ImagePuller } from './image-puller.js';
import type { LayerProgress } from '../model/image-pull.js';
import { resolveImage } from './image-resolution.js';
import { RegistryClient } from './registry-client.js';

export interface ChosenImage {
  /** `registry/repository@digest` when the digest is known, else `registry/repository:tag`. */
  image: string;
  tag: string;
  /** The registry's digest of the tag (`sha256:...`); undefined for an image no registry served. */
  digest: string | undefined;
}

/** What the registry and the engine say of a repository's tags; either may be missing. */
export interface TagListing {
  registryTags?: string[];
  /** Why the registry could not be asked. */
  registryError?: ImageError;
  localTags: string[];
}

export class ImageSource {
  private readonly puller: ImagePuller;

  constructor(private readonly docker: Dockerode) {
    this.puller = new ImagePuller(docker);
  }

  /**
   * The image the appliance runs now, pulled when the engine lacks it. A pinned digest is what
   * runs, so a tag moved in the registry since cannot change it.
   */
  async prepare(def: ApplianceDefinition, onProgress?: (event: LayerProgress) => void): Promise<ChosenImage> {
    const ref = repositoryOf(def);
    if (def.image_tag !== undefined && def.image_digest !== undefined) {
      const image = formatImageRef({ ...ref, digest: def.image_digest });
      const present = await this.docker.getImage(image).inspect().then(() => true, () => false);
      if (!present) await this.puller.pull({ ...ref, digest: def.image_digest }, onProgress ? { onProgress } : {});
      return { image, tag: def.image_tag, digest: def.image_digest };
    }
    const tag = def.image_tag ?? def.tag ?? (def.options.vsn === undefined ? 'latest' : (await this.newest(def)).tag);
    return this.ensure(ref, tag, onProgress);
  }

  /** Makes sure the engine holds `tag` of the appliance's image; answers its digest too. */
  async ensure(ref: ImageRef, tag: string, onProgress?: (event: LayerProgress) => void): Promise<ChosenImage> {
    const image = formatImageRef({ ...ref, tag });
    const local = await this.puller.localTags(ref);
    const pulled = local.includes(tag) ? undefined : await this.puller.pull({ ...ref, tag }, onProgress ? { onProgress } : {});
    const digest = pulled?.repoDigest?.split('@')[1] ?? (await this.digestOf(image, ref));
    return { image, tag, digest };
  }

  /** The digest the engine knows the image by in its registry, if it came from one. */
  private async digestOf(image: string, ref: ImageRef): Promise<string | undefined> {
    const info = await this.docker.getImage(image).inspect().catch(() => undefined);
    const names = [imageName(ref), imageName(ref, { familiar: true })];
    const found = info?.RepoDigests?.find((d) => names.some((name) => d.startsWith(`${name}@`)));
    return found?.split('@')[1];
  }

  /** The highest tag the appliance's constraint (or `--to`-less upgrade) admits today. */
  async newest(def: ApplianceDefinition): Promise<{ tag: string; local: boolean }> {
    const ref = repositoryOf(def);
    const constraint = def.options.vsn;
    if (constraint === undefined) {
      throw new ImageError('INVALID_VERSION_CONSTRAINT', `${def.name} has no vsn constraint in its spec (name#vsn:~>X.Y) to resolve`);
    }
    const listing = await this.tags(ref);
    const found = resolveImage(constraint, listing);
    if (found) return found;
    if (listing.registryError && listing.localTags.length === 0) throw listing.registryError;
    const seen = [...new Set([...(listing.registryTags ?? []), ...listing.localTags])].join(', ') || 'none';
    throw new ImageError('IMAGE_NOT_FOUND', `no tag of ${imageName(ref)} satisfies ${constraint} (tags: ${seen})`);
  }

  async tags(ref: ImageRef): Promise<TagListing> {
    const localTags = await this.puller.localTags(ref);
    try {
      const registryTags = await RegistryClient.forRegistry(ref.registry).listTags(ref.repository);
      return { registryTags, localTags };
    } catch (err) {
      const registryError = err instanceof ImageError ? err : new ImageError('REGISTRY_ERROR', String(err), { cause: err });
      return { registryError, localTags };
    }
  }
}

export function repositoryOf(def: ApplianceDefinition): ImageRef {
  if (def.image === undefined) throw new ImageError('INVALID_IMAGE_REF', `${def.name} has no image`);
  return parseImageRef(def.image);
}

/** The image as `spew status` shows it: the tag it runs, else what will choose one. */
export function describeImage(def: ApplianceDefinition): string | null {
  if (def.image === undefined) return null;
  const tag = def.image_tag ?? def.tag ?? (def.options.vsn === undefined ? 'latest' : undefined);
  return tag === undefined ? `${def.image} (vsn ${def.options.vsn})` : `${def.image}:${tag}`;
}
