/**
 * Where and as whom an appliance's short commands run (its exec watchers, its hooks): as the
 * appliance itself does, with its user, group, environment and working directory, never as
 * the agent (root) by default. For a container, `user` and `cwd` are the container's own: its
 * host-side commands get its environment and run as the agent.
 */
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { runsImages } from '../model/appliance-type.js';

export interface RunAs {
  /** Added to the agent's own environment. */
  env: Record<string, string>;
  cwd?: string;
  user?: string;
  group?: string;
}

export function runAsOf(def: ApplianceDefinition): RunAs {
  if (runsImages(def.type)) return { env: def.env };
  return {
    env: def.env,
    ...(def.cwd !== undefined && { cwd: def.cwd }),
    ...(def.user !== undefined && { user: def.user }),
    ...(def.group !== undefined && { group: def.group }),
  };
}
