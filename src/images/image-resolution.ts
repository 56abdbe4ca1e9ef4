/**
 * Which tag an appliance's `vsn` constraint means now, from the registry's tags and the
 * engine's local ones together: the registry knows what has been published, the engine what
 * can start without a pull. Either list may be missing (a registry that is down, an image only
 * ever built locally) and the other still answers, so an offline host keeps starting what it has.
 */
import { VersionConstraint } from './version-constraint.js';

export interface ImageResolution {
  tag: string;
  /** Whether the engine holds the tag already; if not, it has to be pulled before a start. */
  local: boolean;
}

export interface TagSources {
  /** Undefined when the registry could not be asked. */
  registryTags?: readonly string[];
  localTags?: readonly string[];
}

/** The highest tag either source has that the constraint admits; undefined when none does. */
export function resolveImage(constraint: string | VersionConstraint, sources: TagSources): ImageResolution | undefined {
  const parsed = typeof constraint === 'string' ? VersionConstraint.parse(constraint) : constraint;
  const local = new Set(sources.localTags ?? []);
  const tag = parsed.resolve(new Set([...(sources.registryTags ?? []), ...local]));
  return tag === undefined ? undefined : { tag, local: local.has(tag) };
}
