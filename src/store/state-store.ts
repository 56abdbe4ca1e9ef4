/**
 * The agent's durable memory: every appliance's definition, whether it should run, and its
 * counters, in STATE_DIR/state.json. Process identities are not here: the shim records them in
 * each run dir (see runners/shell-shim.ts), where they are written before anything can be lost.
 *
 * Writes are coalesced: any number of changes while a write is in flight become one more write,
 * so a crash loop of hundreds of appliances costs a few writes a second, not one per event.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplianceDefinition } from '../appliance/model.js';
import { writeFileAtomic } from './atomic-write.js';

export interface PersistedAppliance {
  definition: ApplianceDefinition;
  desired: 'running' | 'stopped';
  starts: number;
  restarts: number;
  last_exit: string | null;
  /** The version of `definition` in the appliance's history. */
  version: number;
  /** The version its process was started on; null while none runs. */
  running_version: number | null;
  /** Why it is not running when it ended for good (failed, crashed and left alone). */
  ended?: { state: 'stopped' | 'crashed' | 'failed'; reason: string };
}

interface StateFile {
  format: 1;
  appliances: PersistedAppliance[];
}

export class StateStore {
  private readonly path: string;
  /**
   * Each definition's JSON, made once: definitions are replaced, never changed in place, and
   * they are most of the file, which a busy agent writes several times a second.
   */
  private readonly definitionJson = new WeakMap<ApplianceDefinition, string>();
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    stateDir: string,
    private readonly snapshot: () => PersistedAppliance[],
    private readonly onError: (err: unknown) => void,
  ) {
    this.path = join(stateDir, 'state.json');
  }

  /** The saved appliances, or undefined on a first boot (no state file yet). */
  async load(): Promise<PersistedAppliance[] | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as StateFile;
    if (parsed.format !== 1) throw new Error(`${this.path}: unknown state format ${String(parsed.format)}`);
    return parsed.appliances;
  }

  /** The state file's text: JSON.stringify of a StateFile, with the definitions' JSON reused. */
  private serialise(appliances: PersistedAppliance[]): string {
    const entries = appliances.map(({ definition, ...rest }) => {
      let json = this.definitionJson.get(definition);
      if (json === undefined) {
        json = JSON.stringify(definition);
        this.definitionJson.set(definition, json);
      }
      return `{"definition":${json},${JSON.stringify(rest).slice(1)}`;
    });
    return `{"format":1,"appliances":[${entries.join(',')}]}`;
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
      try {
        await writeFileAtomic(this.path, this.serialise(this.snapshot()));
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
