/**
 * What a runner of containers does beyond running them (its type's capabilities say
 * `runs: 'containers'`): it picks and pulls images, runs an upgrade's candidate beside the
 * current run and swaps the two, and finds the containers of this instance that no appliance
 * accounts for. docker/docker-runner.ts is the one there is; upgrades and the agent's routes
 * know only this interface.
 */
import type { ImageSource } from '../images/image-source.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { RunHandle, Runner } from './runner.js';

/** A container that carries spew's labels but whose appliance this agent does not know. */
export interface OrphanContainer {
  id: string;
  name: string;
  ref: string;
  appliance: string;
  version: string;
  state: string;
}

export interface ContainerRuntime extends Runner {
  readonly images: ImageSource;
  /** Whether a second container of `def` could run beside the first (it publishes no fixed host port). */
  canRunBeside(def: ApplianceDefinition): boolean;
  /**
   * Starts an upgrade's new container (`def` names the new image) beside the appliance's
   * current one, with the same labels and output capture. `promote` or `discard` ends its turn.
   */
  startCandidate(def: ApplianceDefinition): RunHandle;
  /** The candidate becomes the appliance's container, once the old run has ended. */
  promote(def: ApplianceDefinition): Promise<void>;
  /** Forgets the candidate, whose run has ended (or never began); resolves once its container is gone. */
  discard(def: ApplianceDefinition): Promise<void>;
  /** Containers with spew's labels whose ref is not among `knownRefs`. */
  orphans(knownRefs: Iterable<string>): Promise<OrphanContainer[]>;
}
