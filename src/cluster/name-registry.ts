/**
 * Names and refs unique in the whole cluster. Each appliance's name and ref are held by the
 * host that has it, at `names/<name>` and `refs/<ref>`, both made by one create-if-absent
 * transaction on that host before the create makes the appliance: of two hosts creating `web`
 * at the same moment, one gets it and the other's create is refused (NAME_TAKEN).
 *
 * The keys have no lease: an appliance outlives its host's lease (a host that is down still has
 * its appliances), so its name stays taken. They go when the appliance is removed, by its own
 * host, with a delete guarded by the revision it holds, and every write is guarded by this
 * agent's lease like the rest of what it writes.
 *
 * etcd may be out of reach when an appliance is created (first boot while etcd is down, a create
 * on a host cut off): the create goes on, as everything local does, and the name is held as soon
 * as the agent is registered again. A name another host took meanwhile is then said in the log
 * (both appliances run; the operator renames or removes one).
 */
import { errorMessage, SpewError } from '../common/errors.js';
import type { NamedRef, NameReservations } from '../appliance/name-reservations.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { ClusterStore, Condition } from './cluster-store.js';
import { readHeldName, type HeldNameRecord } from './records.js';

export interface NameRegistryOptions {
  store: ClusterStore;
  keys: ClusterKeys;
  host: string;
  /** The lease to write under; undefined while the agent is not sure of its place. */
  lease: () => string | undefined;
  log: (level: 'warn' | 'error', message: string) => void;
}

/** After a failed reconcile, the next try. */
const RETRY_MS = 2_000;

export class NameRegistry implements NameReservations {
  /** The keys this host holds as last known, with the revision that wrote them. */
  private readonly held = new Map<string, { record: HeldNameRecord; modRevision: string }>();
  /** This host's appliances, by name, as last told. */
  private wanted = new Map<string, string>();
  /** Reserved by a create that has not made its appliance yet: a sync that misses it keeps it. */
  private readonly creating = new Map<string, string>();
  /** Held names of other hosts' already said in the log: said once, not at every sync. */
  private readonly conflicts = new Set<string>();
  /** `held` must be read again from etcd: at the start, and after every registration. */
  private stale = true;
  private running: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: NameRegistryOptions) {}

  async reserve({ name, ref }: NamedRef): Promise<void> {
    this.creating.set(name, ref);
    const lease = this.opts.lease();
    if (lease === undefined) {
      this.opts.log('warn', `${name}: created while this host is not registered in the cluster; its name is held once it is`);
      return;
    }
    try {
      await this.hold(name, ref, lease);
    } catch (err) {
      if (err instanceof SpewError && err.code === 'NAME_TAKEN') {
        this.creating.delete(name);
        throw err;
      }
      this.opts.log('warn', `${name}: its name could not be held in the cluster now (${errorMessage(err)}); it is held once etcd answers`);
      this.schedule(RETRY_MS);
    }
  }

  cancel({ name }: NamedRef): void {
    this.creating.delete(name);
    this.kick();
  }

  sync(appliances: NamedRef[]): void {
    this.wanted = new Map(appliances.map((a) => [a.name, a.ref]));
    for (const name of this.wanted.keys()) this.creating.delete(name);
    this.kick();
  }

  /** After a (re)registration: what is held is read again, and put right. */
  registered(): void {
    this.stale = true;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.running;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.retry);
    this.retry = undefined;
    this.running = this.reconcile()
      .catch((err: unknown) => {
        this.opts.log('warn', `names in the cluster not put right yet (${errorMessage(err)}); trying again`);
        this.schedule(RETRY_MS);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private schedule(ms: number): void {
    if (this.stopped || this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.kick();
    }, ms);
  }

  /** Holds the name and ref of every appliance here, and gives back what none has any more. */
  private async reconcile(): Promise<void> {
    const lease = this.opts.lease();
    if (lease === undefined) return; // registered() kicks again
    const { store, keys, host } = this.opts;
    if (this.stale) {
      this.held.clear();
      for (const prefix of [keys.names, keys.refs]) {
        for (const v of (await store.list(prefix)).values) {
          const record = readHeldName(v.value);
          if (record?.host === host) this.held.set(v.key, { record, modRevision: v.modRevision });
        }
      }
      this.stale = false;
    }
    const wanted = new Map([...this.wanted, ...this.creating]);
    for (const [name, ref] of wanted) {
      if (this.holds(name, ref)) continue;
      try {
        await this.hold(name, ref, lease);
      } catch (err) {
        if (!(err instanceof SpewError) || err.code !== 'NAME_TAKEN') throw err;
        if (!this.conflicts.has(name)) this.opts.log('error', `appliance ${name} (${ref}) of this host: ${err.message}; rename or remove one of them`);
        this.conflicts.add(name);
      }
    }
    const keep = new Set([...wanted].flatMap(([name, ref]) => [keys.name(name), keys.ref(ref)]));
    for (const [key, { modRevision }] of this.held) {
      if (keep.has(key)) continue;
      const given = await store.commit([{ key, modRevision }, { key: keys.alive(host), lease }], [{ delete: key }]);
      this.held.delete(key);
      // Changed meanwhile, or the lease did: read again before the next try.
      if (!given.succeeded) {
        this.stale = true;
        this.schedule(RETRY_MS);
      }
    }
  }

  private holds(name: string, ref: string): boolean {
    const { keys } = this.opts;
    const byName = this.held.get(keys.name(name))?.record;
    const byRef = this.held.get(keys.ref(ref))?.record;
    return byName?.ref === ref && byRef?.name === name;
  }

  /**
   * Puts `names/<name>` and `refs/<ref>`, if each is absent or this host's own (a write applied
   * twice, or one left by a removal etcd did not hear of); NAME_TAKEN if another host holds one.
   */
  private async hold(name: string, ref: string, lease: string): Promise<void> {
    const { store, keys, host } = this.opts;
    const record: HeldNameRecord = { host, name, ref };
    const value = JSON.stringify(record);
    const both = [keys.name(name), keys.ref(ref)];
    for (let attempt = 0; attempt < 2; attempt++) {
      const conditions: [Condition, ...Condition[]] = [{ key: keys.alive(host), lease }];
      for (const key of both) {
        const mine = this.held.get(key);
        conditions.push(mine ? { key, modRevision: mine.modRevision } : { key, is: 'absent' });
      }
      const outcome = await store.commit(conditions, both.map((key) => ({ put: key, value })), both);
      if (outcome.succeeded) {
        for (const key of both) this.held.set(key, { record, modRevision: outcome.revision });
        this.conflicts.delete(name);
        return;
      }
      outcome.current.forEach((current, i) => {
        const key = both[i]!;
        const holder = current === undefined ? undefined : readHeldName(current.value);
        if (current === undefined) this.held.delete(key);
        else if (holder?.host === host) this.held.set(key, { record: holder, modRevision: current.modRevision });
        else throw new SpewError('NAME_TAKEN', takenBy(holder, i === 0 ? `the name ${name}` : `the ref ${ref}`));
      });
    }
    throw new Error(`${keys.name(name)} changed while it was being held, or this agent's lease did`);
  }
}

function takenBy(holder: HeldNameRecord | undefined, what: string): string {
  if (!holder) return `${what} is held in the cluster by a record spew does not write`;
  return `host ${holder.host} has ${what} (appliance ${holder.name}, ref ${holder.ref}); names and refs are unique in the cluster`;
}
