/**
 * Which image a container appliance runs, and making sure the engine has it: the tag comes from
 * the pinned `image_tag`, else `tag`, else the spec's `vsn` constraint resolved against the
 * registry's and the engine's tags (else `latest`); a tag the engine lacks is pulled.
 */
import type Dockerode from 'dockerode';
import type { ApplianceDefinition } from '../appliance/model.js';
import { ImageError } from './image-error.js';
import { formatImageRef, imageName, parseImageRef, type ImageRef } from './image-ref.js';
import { ImagePuller, type LayerProgress } from './image-puller.js';
import { resolveImage } from './image-resolution.js';
import { RegistryClient } from './registry-client.js';

export interface ChosenImage {
  /** `registry/repository:tag`, as the engine is given it. */
  image: string;
  tag: string;
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

  constructor(docker: Dockerode) {
    this.puller = new ImagePuller(docker);
  }

  /** The image the appliance runs now, pulled when the engine lacks it. */
  async prepare(def: ApplianceDefinition, onProgress?: (event: LayerProgress) => void): Promise<ChosenImage> {
    const ref = repositoryOf(def);
    const tag = def.image_tag ?? def.tag ?? (def.options.vsn === undefined ? 'latest' : (await this.newest(def)).tag);
    return this.ensure(ref, tag, onProgress);
  }

  /** Makes sure the engine holds `tag` of the appliance's image. */
  async ensure(ref: ImageRef, tag: string, onProgress?: (event: LayerProgress) => void): Promise<ChosenImage> {
    const chosen = { image: formatImageRef({ ...ref, tag }), tag };
    const local = await this.puller.localTags(ref);
    if (!local.includes(tag)) await this.puller.pull({ ...ref, tag }, onProgress ? { onProgress } : {});
    return chosen;
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
      const registryError = err instanceof ImageError ? err : new ImageError('REGISTRY_ERROR', String(err));
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
