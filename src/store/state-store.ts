/**
 * The agent's durable memory: every appliance's definition, whether it should run, an
 * operator's request in flight, and its counters, in STATE_DIR/state.json. Process identities
 * are not here: the shim records them in each run dir (see runners/shell-shim.ts), where they
 * are written before anything can be lost.
 *
 * Every write goes to state.json (then fsync) and then to its copy state.json.1, so that a state
 * file deleted or damaged while no agent ran (by hand, by a tool, by a bad disk block) is
 * recovered whole from the copy, loudly, rather than taken for a first boot. Both are
 * rewritten in place, in room they already hold (in-place-file.ts), so that a full disk does
 * not keep the state from being saved: one of the two is whole at any instant, and the load
 * takes the state file or else the copy. A state that outgrows its room is written anew, with
 * room to spare; on a full disk the room kept for it (disk-reserve.ts) is given up for that.
 *
 * Writes are coalesced: any number of changes while a write is in flight become one more write,
 * so a crash loop of hundreds of appliances costs a few writes a second, not one per event.
 */
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { SpewError, errorMessage } from '../common/errors.js';
import { readOwnFileAsync } from '../common/own-files.js';
import { DiskReserve, isDiskFull } from './disk-reserve.js';
import { rewriteInPlace, writeWithRoom } from './in-place-file.js';
import { parseStateFile, STATE_FORMAT } from './state-file.js';
import type { PersistedAppliance } from '../model/persisted-appliance.js';

export type StateLoad =
  /** Neither the state file nor its copy is there: nothing was ever saved (or both were removed). */
  | { kind: 'none' }
  | { kind: 'loaded'; appliances: PersistedAppliance[] }
  /** The state file was missing or damaged (`problem`); its copy was read instead. */
  | { kind: 'recovered'; appliances: PersistedAppliance[]; problem: string; keptAs?: string };

type Read = { kind: 'missing' } | { kind: 'damaged'; problem: string } | { kind: 'good'; appliances: PersistedAppliance[] };

export class StateStore {
  readonly path: string;
  readonly copyPath: string;
  /**
   * Each definition's JSON, made once: definitions are replaced, never changed in place, and
   * they are most of the file, which a busy agent writes several times a second.
   */
  private readonly definitionJson = new WeakMap<ApplianceDefinition, string>();
  private writing: Promise<void> | undefined;
  private dirty = false;
  /** Why the last write failed, while writes fail (a full disk): `spew status` says so. */
  private failing: { error: string; since: Date } | undefined;
  private readonly reserve: DiskReserve;

  constructor(
    stateDir: string,
    private readonly snapshot: () => PersistedAppliance[],
    private readonly onError: (err: unknown) => void,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.path = join(stateDir, 'state.json');
    this.copyPath = `${this.path}.1`;
    this.reserve = new DiskReserve(join(stateDir, 'state.reserve'));
  }

  /**
   * The saved appliances, from the state file or else from its copy. Neither loading while
   * something is there is an error naming both files and what to do: the agent does not guess.
   */
  async load(): Promise<StateLoad> {
    const main = await this.read(this.path);
    if (main.kind === 'good') return { kind: 'loaded', appliances: main.appliances };
    const copy = await this.read(this.copyPath);
    if (main.kind === 'missing' && copy.kind === 'missing') return { kind: 'none' };
    const problem = main.kind === 'missing' ? 'it is missing' : main.problem;
    if (copy.kind === 'good') {
      // Kept for whoever wants to know what happened to it; the next save writes a good one.
      const keptAs = main.kind === 'damaged' ? `${this.path}.damaged-${this.now().toISOString().replaceAll(':', '')}` : undefined;
      if (keptAs) await rename(this.path, keptAs);
      return { kind: 'recovered', appliances: copy.appliances, problem, ...(keptAs && { keptAs }) };
    }
    const copyProblem = copy.kind === 'missing' ? 'it is missing' : copy.problem;
    throw new SpewError(
      'STATE_DAMAGED',
      `cannot load the agent's state: ${this.path}: ${problem}; its copy ${this.copyPath}: ${copyProblem}. ` +
        'The appliances of this instance run on, unsupervised. Restore either file from a backup; or, to start afresh, ' +
        `move both aside (mv ${this.path} ${this.path}.bad): the agent then stops what runs of this instance and reads the appliance files again.`,
    );
  }

  private async read(path: string): Promise<Read> {
    let text: string | undefined;
    try {
      text = await readOwnFileAsync(path);
    } catch (err) {
      return { kind: 'damaged', problem: errorMessage(err) };
    }
    if (text === undefined) return { kind: 'missing' };
    const parsed = parseStateFile(text);
    return 'problem' in parsed ? { kind: 'damaged', problem: parsed.problem } : { kind: 'good', appliances: parsed.appliances };
  }

  /**
   * The state file, then its copy. A full disk gives up the reserve for it: the state file
   * goes first, and what room is left after it goes to the copy.
   */
  private async write(text: string): Promise<void> {
    const bytes = Buffer.from(text);
    // The copy needs no fsync of its own: the state file is the one a power cut cannot undo.
    for (const [path, durable] of [[this.path, true], [this.copyPath, false]] as const) {
      if (await rewriteInPlace(path, bytes, durable)) continue;
      try {
        await writeWithRoom(path, bytes, durable);
      } catch (err) {
        if (!isDiskFull(err) || !this.reserve.release()) throw err;
        await writeWithRoom(path, bytes, durable);
      }
    }
    this.failing = undefined;
    // Room for the state to grow, made while there is room (best effort: a full disk says so above).
    await this.reserve.keep(bytes.length * 3).catch(() => undefined);
  }

  /** Why saving fails right now, or undefined while it works. */
  get saveError(): { error: string; since: Date } | undefined {
    return this.failing;
  }

  /** The state file's text: JSON.stringify of the file's object, with the definitions' JSON reused. */
  private serialise(appliances: PersistedAppliance[]): string {
    const entries = appliances.map(({ definition, ...rest }) => {
      let json = this.definitionJson.get(definition);
      if (json === undefined) {
        json = JSON.stringify(definition);
        this.definitionJson.set(definition, json);
      }
      return `{"definition":${json},${JSON.stringify(rest).slice(1)}`;
    });
    return `{"format":${STATE_FORMAT},"appliances":[${entries.join(',')}]}`;
  }

  /** Asks for a write of the current snapshot; returns when a write that includes it is done. */
  save(): Promise<void> {
    this.dirty = true;
    // The snapshot is taken on the next turn of the event loop, not here: save() is called
    // from inside transitions, and a restart must not wait for a thousand definitions to be
    // serialised before it spawns.
    this.writing ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const text = this.serialise(this.snapshot());
      try {
        await this.write(text);
      } catch (err) {
        // Said once a streak: a crash loop on a full disk must not become a flood of the same line.
        if (!this.failing) this.onError(err);
        this.failing ??= { error: errorMessage(err), since: this.now() };
      }
    }
  }
}
