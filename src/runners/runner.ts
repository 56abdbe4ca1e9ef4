/**
 * What the manager needs from whatever makes an appliance run. One runner serves every
 * appliance of its type (shell-runner.ts, docker/docker-runner.ts); runner-set.ts picks it.
 */
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { ExitReason } from '../model/appliance-state.js';
import type { OutputCapture } from '../logs/output-capture.js';

/** A started (or re-adopted) appliance process. */
export interface RunHandle {
  /** 0 while the run is not up yet (a container being pulled or created): see `up`. */
  readonly pid: number;
  readonly startedAt: Date;
  /**
   * Settles once, when the appliance has ended and nothing of it is left running (its whole
   * process group is gone). Never rejects.
   */
  readonly exited: Promise<ExitReason>;
  /**
   * For a run whose pid comes later: resolves with it once the run is up, or with 0 when it
   * ended before. Absent when `pid` is known at once.
   */
  readonly up?: Promise<number>;
  /** Sends the stop signal to the whole appliance, then SIGKILL after the timeout. Idempotent. */
  stop(signal: NodeJS.Signals, timeoutMs: number): void;
  /** SIGKILL to the whole appliance at once. Idempotent. */
  kill(): void;
}

export type AdoptResult =
  | { kind: 'running'; handle: RunHandle }
  /** It ended while no agent watched; the reason is as exact as what it left behind allows. */
  | { kind: 'exited'; reason: ExitReason }
  | { kind: 'absent' };

export type SurveyScope = 'loaded' | 'all';

/** Why the agent leaves: `stop`, every appliance has been stopped; `handoff`, they run on for the next agent. */
export type Departure = 'stop' | 'handoff';

/** What an adoption did beyond the usual, for the agent's log ("its pid record was lost: ..."). */
export type Adoption = AdoptResult & { note?: string };

/**
 * A run of this agent's instance found on the host by its marker (see instance-scan.ts), not by
 * any record the agent keeps, which may be lost.
 */
export interface FoundRun {
  ref: string;
  /** The appliance's name, as the run was started with it, when it still says. */
  name?: string;
  /** What it is, for the agent's log: `pid 1234`, `container 3f2a9c...`. */
  label: string;
  /** The shim that served it is gone: this is what its process group left behind. */
  leftover: boolean;
}

export interface Runner {
  /**
   * Makes ready what an appliance keeps across its starts (run dir, output pipes), for many
   * appliances in one go because some of it costs a process spawn.
   */
  prepare(items: { def: ApplianceDefinition; capture: OutputCapture }[]): Promise<void>;
  /** Starts the appliance. Synchronous and fast: it sits on the crash-to-running path. */
  start(def: ApplianceDefinition): RunHandle;
  /**
   * Every run of this instance on the host now, whatever the records say; before anything is
   * started or adopted. `adopt` then draws on what this found. `all`: also where no appliance
   * the agent knows has made a runner needed yet (the state was lost or recovered).
   */
  survey(scope: SurveyScope): Promise<FoundRun[]>;
  /** Ends a run the agent does not know (its state was lost): `signal`, then SIGKILL after `timeoutMs`. */
  stopStray(run: FoundRun, signal: NodeJS.Signals, timeoutMs: number): Promise<void>;
  /** Takes over an appliance that a previous agent started and that may still run. */
  adopt(def: ApplianceDefinition): Promise<Adoption>;
  /** Forwards input to the appliance's stdin; false when it was not created with `stdin`. */
  input(def: ApplianceDefinition, data: Buffer): boolean;
  /** Forgets an appliance for good (removed): closes its pipes and deletes its run dir. */
  release(def: ApplianceDefinition): void;
  /**
   * Lets go of every pipe without touching any appliance's process: the agent is leaving. What
   * the runner started only for its own use (standby shims) it ends before it resolves.
   */
  detach(how: Departure): void | Promise<void>;
}

export class SpawnError extends Error {}
