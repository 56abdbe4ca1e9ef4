/**
 * The domain model of an appliance: what a config file or an API call describes (ItemOpts),
 * and what the agent keeps once it has loaded one (ApplianceDefinition).
 */

import type { RestartPolicy } from './restart-policy.js';
import type { MonitorSpec, WatcherSpec } from './watcher-spec.js';
import type { Command } from './command.js';
import type { ApplianceType } from './appliance-type.js';

/** A hook action, parsed and validated now, run by supervision later. */
export type HookAction = { run: string; timeout_ms?: number } | { post: string; timeout_ms?: number };
export const HOOK_EVENTS = [
  'create', 'start', 'stop', 'crash', 'restart', 'watcher', 'dependency', 'failed', 'remove', 'upgrade',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];
export type Hooks = Partial<Record<HookEvent, HookAction[]>>;

/** A dependency: an appliance name, with the spec options it was written with. */
export interface Dependency {
  name: string;
  options: Record<string, string>;
  /** `db@host2`: an appliance of another host of the cluster, waited for as it publishes. */
  host?: string;
}

/** The dependencies on this host's appliances: those on other hosts are no edge of its graph. */
export function localNames(depends: readonly Dependency[]): string[] {
  return depends.filter((d) => d.host === undefined).map((d) => d.name);
}

/** The dependencies on other hosts' appliances (`db@host2`), each with its host. */
export function remoteDependencies(depends: readonly Dependency[]): { name: string; host: string }[] {
  return depends.flatMap(({ name, host }) => (host === undefined ? [] : [{ name, host }]));
}

/** How a dependency is written back: `db`, `db#zone:eu`, `db@host2`. */
export function dependencyLabel(d: Dependency): string {
  return d.host === undefined ? d.name : `${d.name}@${d.host}`;
}

/** How a container appliance moves to a newer image (see src/upgrades/). */
export interface UpgradeSettings {
  /** `auto`: checked every `interval_ms` and upgraded when the constraint admits a newer tag. */
  policy: 'manual' | 'auto';
  interval_ms: number;
  /**
   * `start-first`: the new container starts beside the old one; `stop-first`: in its place.
   * Unset: start-first, unless the appliance publishes fixed host ports (they would clash).
   */
  strategy?: 'start-first' | 'stop-first';
  /** How long the new container has to reach `running` (its watchers passing). */
  deadline_ms: number;
}

/** What one appliance table in a config file (or an API body) says, after validation. */
export interface ItemOpts {
  type: ApplianceType;
  command: Command;
  env: Record<string, string>;
  cwd?: string;
  user?: string;
  group?: string;
  runneropts: Record<string, unknown>;
  restart: RestartPolicy;
  watchers: WatcherSpec[];
  monitors: MonitorSpec[];
  depends: Dependency[];
  /** How long a start waits for every dependency to be `running`. */
  depends_timeout_ms: number;
  hooks: Hooks;
  stop_signal: NodeJS.Signals;
  /** Milliseconds between the stop signal and SIGKILL. */
  stop_timeout_ms: number;
  /** Forward `spew attach` input to the appliance's stdin. */
  stdin: boolean;
  /** Docker: the image without its tag (`127.0.0.1:5000/web`); the tag comes from `tag` or `vsn`. */
  image?: string;
  /** Docker: a fixed tag, when the spec gives no `vsn` constraint. */
  tag?: string;
  /** Docker: how upgrades happen. */
  upgrade?: UpgradeSettings;
  /**
   * Docker: the tag it runs, pinned when `vsn` was first resolved and moved only by an upgrade
   * or a rollback, so a restart never changes the image behind the operator's back. Written in
   * a file only by `spew export`, to recreate an identical instance.
   */
  image_tag?: string;
  /** Docker: the registry digest of that tag, when it came from a registry; it is what runs. */
  image_digest?: string;
  /** A file from `spew export` names the ref, so the recreated appliance keeps it. */
  ref?: string;
}

/** `name#key:value,key:value`: the appliance name plus free-form options for the runner. */
export interface ApplianceSpec {
  name: string;
  options: Record<string, string>;
}

/** An appliance as the agent holds it: a spec, its options, and identity that never changes. */
export interface ApplianceDefinition extends ItemOpts {
  name: string;
  options: Record<string, string>;
  /** Stable id, generated once; survives renames of nothing and upgrades of everything. */
  ref: string;
  /** The config file the appliance came from; absent when created through the API. */
  file?: string;
}
