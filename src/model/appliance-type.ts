/**
 * The kinds of appliance, each with what its runner can do. The rest of spew asks these
 * capabilities, never which type an appliance is: a new runner type is a row here, its runner
 * in src/runners/ and a line in the runner registry (src/runners/runner-registry.ts).
 */

export interface TypeCapabilities {
  /**
   * What one run is. `processes`: a process tree the agent starts from a `command`.
   * `containers`: a container an engine runs from an `image` (tags, `vsn`, pulls, pinned
   * digests, orphans); the runner is then a ContainerRuntime.
   */
  runs: 'processes' | 'containers';
  /** Its image moves to a newer one on a trial beside the old run (`spew upgrade`, `upgrade.policy`). */
  upgrades: boolean;
}

export const TYPE_CAPABILITIES = {
  shell: { runs: 'processes', upgrades: false },
  docker: { runs: 'containers', upgrades: true },
} as const satisfies Record<string, TypeCapabilities>;

/** The runner that makes an appliance run. */
export type ApplianceType = keyof typeof TYPE_CAPABILITIES;

export const APPLIANCE_TYPES = Object.keys(TYPE_CAPABILITIES) as readonly ApplianceType[];

export function capabilitiesOf(type: ApplianceType): TypeCapabilities {
  return TYPE_CAPABILITIES[type];
}

/** Whether its runs are containers made from an image. */
export function runsImages(type: ApplianceType): boolean {
  return capabilitiesOf(type).runs === 'containers';
}
