/**
 * Runs `type = "docker"` appliances as containers, through dockerode against the engine at
 * DOCKER_HOST or /var/run/docker.sock. Before each create, the image source (images/) picks the
 * tag and pulls it when the engine lacks it; a pull that fails is a start that fails.
 *
 * One container per run, named `spew-NAME-REF` and labelled `spew.ref`, `spew.name`,
 * `spew.version`. A run ends when the engine says so: one event stream for the whole runner
 * (see engine-events.ts) delivers `die` and `oom`; nothing is polled. When that stream breaks,
 * the runner reconnects with backoff and reconciles every run it knows by inspecting its
 * container. Once a run's end has been reported through `exited`, its container is removed: it
 * is accounted for, and the next agent must not report the same ending again (as the shell
 * runner deletes its pid record). An agent killed between the two reports it twice.
 *
 * Output: the container's log stream (with the engine's timestamps) is followed into the
 * appliance's capture, so captured lines look exactly like a shell appliance's. The time of the
 * last message seen is kept per ref and stream, in memory; a reconnect or an adoption by this same runner
 * follows on from exactly there (messages at or before it are skipped). A new agent knows no
 * such time: `lastLogTime` (e.g. the last line of the appliance's log file) minus a margin is
 * used, accepting a few duplicate lines rather than a loss; without it, only new output is
 * followed.
 */
import Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import type { ApplianceDefinition } from '../../model/appliance-definition.js';
import type { ExitReason } from '../../model/appliance-state.js';
import { errorMessage } from '../../common/errors.js';
import type { OutputStream } from '../../logs/log-line.js';
import type { OutputCapture } from '../../logs/output-capture.js';
import type { ContainerRuntime, OrphanContainer } from '../container-runtime.js';
import type { AdoptResult, FoundRun, RunHandle } from '../runner.js';
import { decodeWaitStatus } from '../shell-shim.js';
import { ImageError } from '../../images/image-error.js';
import type { LayerProgress } from '../../model/image-pull.js';
import { ImageSource } from '../../images/image-source.js';
import { ContainerSpecError, containerName, createOptions, publishesFixedHostPorts, LABEL_INSTANCE, LABEL_NAME, LABEL_REF, LABEL_VERSION } from './container-spec.js';
import { DockerRun } from './docker-run.js';
import { EngineEvents, type Backoff, type ContainerEvent, type EngineState } from './engine-events.js';
import { LogFrameReader, timeAfter } from './log-frames.js';

export interface DockerRunnerOptions {
  /** Defaults to dockerode's own choice: DOCKER_HOST, else /var/run/docker.sock. */
  docker?: Docker;
  /** The engine became reachable or unreachable; `detail` says why. */
  onEngineState?: (state: EngineState, detail: string) => void;
  /** For a new agent adopting a container: the time of the last output it already has. */
  lastLogTime?: (def: ApplianceDefinition) => Date | undefined;
  /** A start chose an image other than the pinned one (the first resolution of `vsn`, a digest). */
  onImageChosen?: (def: ApplianceDefinition, tag: string, digest: string | undefined) => void;
  onPullProgress?: (def: ApplianceDefinition, event: LayerProgress) => void;
  backoff?: Backoff;
  /** The agent's instance (its state dir), labelled on every container so that `survey` finds them. */
  instance?: string;
}

/** How far before `lastLogTime` an adopting agent starts reading: a few duplicates, no loss. */
const ADOPT_LOG_MARGIN_MS = 1000;
/** How long an ending run waits for the rest of its output before it reports the end. */
const LOG_DRAIN_MS = 2000;
/** How long an adoption waits for the event stream before it looks at containers. */
const EVENTS_READY_MS = 3000;
/**
 * An upgrade's new container runs beside the old one under the old one's name plus this; once
 * it has proved itself it is renamed to the name, as labels cannot change.
 */
const CANDIDATE = '-next';
/** What a request to an engine that is not there fails with (a hang-up is ECONNRESET too). */
const ENGINE_GONE: ReadonlySet<string> = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET']);

interface Follow {
  stream: NodeJS.ReadableStream & { destroy?: () => void };
  done: Promise<void>;
  /** The engine connection it was opened on: a stream from before a reconnect is suspect. */
  epoch: number;
  run: DockerRun;
}

interface Known {
  /** Where it is in `known`: the ref, or the ref plus CANDIDATE for an upgrade's new container. */
  key: string;
  /** The container's name. */
  name: string;
  def: ApplianceDefinition;
  capture?: OutputCapture;
  run?: DockerRun;
  follow?: Follow;
  stdin?: Duplex;
  stdinQueue: Buffer[];
}

export class DockerRunner implements ContainerRuntime {
  private readonly docker: Docker;
  readonly images: ImageSource;
  private readonly events: EngineEvents;
  private readonly known = new Map<string, Known>();
  /**
   * The engine time of the last log message seen, per ref and per stream: each stream is
   * stamped by its own copier in the engine, so stdout and stderr times interleave out of order
   * in the log, but within one stream they only grow.
   */
  private readonly lastSeen = new Map<string, Partial<Record<OutputStream, { time: string; n: number }>>>();
  /** Removals of finished containers, per ref: the next create of that ref waits for its own. */
  private readonly removing = new Map<string, Promise<void>>();
  /** Runs whose container is being created and started; reconciliation leaves them to it. */
  private readonly launches = new WeakSet<DockerRun>();
  /** Counts event stream connections. */
  private epoch = 0;
  /** The container of each run the last survey found. */
  private readonly surveyed = new WeakMap<FoundRun, string>();

  constructor(private readonly opts: DockerRunnerOptions = {}) {
    this.docker = opts.docker ?? new Docker();
    this.images = new ImageSource(this.docker);
    this.events = new EngineEvents(
      this.docker,
      {
        onEvent: (event) => this.onEvent(event),
        onConnected: () => {
          this.epoch += 1;
          void this.reconcile();
        },
        onState: (state, detail) => opts.onEngineState?.(state, detail),
      },
      opts.backoff,
    );
    this.events.open();
  }

  engineState(): EngineState {
    return this.events.current;
  }

  async prepare(items: { def: ApplianceDefinition; capture: OutputCapture }[]): Promise<void> {
    for (const { def, capture } of items) {
      const known = this.entry(def);
      known.capture = capture;
    }
  }

  start(def: ApplianceDefinition): RunHandle {
    const known = this.entry(def);
    const run = new DockerRun(def.ref, (id, signal) => this.signal(id, signal));
    known.run = run;
    void this.launch(known, run);
    return run;
  }

  async adopt(def: ApplianceDefinition): Promise<AdoptResult> {
    const known = this.entry(def);
    await this.events.ready(EVENTS_READY_MS);
    if (this.events.current === 'unreachable') {
      // Cannot know; a handle that the next reconciliation resolves, rather than a duplicate
      // start (the create would clash with the old container's name anyway).
      const run = new DockerRun(def.ref, (id, signal) => this.signal(id, signal));
      known.run = run;
      return { kind: 'running', handle: run };
    }
    try {
      await this.dropCandidates(def.ref);
      const found = await this.findContainer(def.ref);
      if (!found) return { kind: 'absent' };
      if (found.State.Running) {
        const run = new DockerRun(def.ref, (id, signal) => this.signal(id, signal));
        known.run = run;
        run.bind(found.Id);
        run.markLive(found.State.Pid, new Date(found.State.StartedAt));
        this.follow(known, run, found.Id, this.adoptSince(def));
        if (def.stdin) this.attachStdin(known, found.Id);
        return { kind: 'running', handle: run };
      }
      await this.catchUp(known, found.Id, this.adoptSince(def));
      const reason = exitReasonOf(found.State);
      this.remove(known.key, found.Id);
      return { kind: 'exited', reason };
    } catch {
      // The engine went away between the two calls: let reconciliation decide.
      const run = new DockerRun(def.ref, (id, signal) => this.signal(id, signal));
      known.run = run;
      return { kind: 'running', handle: run };
    }
  }

  /** The running containers labelled with this instance; none when the engine cannot be asked. */
  async survey(): Promise<FoundRun[]> {
    if (this.opts.instance === undefined) return [];
    await this.events.ready(EVENTS_READY_MS);
    let list: Docker.ContainerInfo[];
    try {
      list = await this.docker.listContainers({ filters: { label: [`${LABEL_INSTANCE}=${this.opts.instance}`], status: ['running'] } });
    } catch {
      return [];
    }
    return list.filter((c) => !isCandidate(c)).map((c) => {
      const found: FoundRun = {
        ref: c.Labels[LABEL_REF] ?? '',
        ...(c.Labels[LABEL_NAME] !== undefined && { name: c.Labels[LABEL_NAME] }),
        label: `container ${c.Id.slice(0, 12)}`,
        leftover: false,
      };
      this.surveyed.set(found, c.Id);
      return found;
    });
  }

  /**
   * Stops the container as `docker stop` does: its own stop signal (the appliance's, given at
   * create), SIGKILL after the timeout. It stays, for `spew orphans` to list.
   */
  async stopStray(run: FoundRun, _signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const id = this.surveyed.get(run);
    if (id !== undefined) await this.docker.getContainer(id).stop({ t: Math.ceil(timeoutMs / 1000) }).catch(() => undefined);
  }

  input(def: ApplianceDefinition, data: Buffer): boolean {
    const known = this.known.get(def.ref);
    if (!def.stdin || !known?.run || known.run.ended) return false;
    if (known.stdin) known.stdin.write(data);
    else known.stdinQueue.push(data);
    return true;
  }

  release(def: ApplianceDefinition): void {
    for (const key of [def.ref, def.ref + CANDIDATE]) {
      const known = this.known.get(key);
      if (known) this.closeStreams(known);
      this.known.delete(key);
      this.lastSeen.delete(key);
    }
    void this.containersOf(def.ref)
      .then((list) => Promise.all(list.map((c) => this.docker.getContainer(c.Id).remove({ force: true }))))
      .catch(() => undefined);
  }

  detach(): void {
    this.events.close();
    for (const known of this.known.values()) this.closeStreams(known);
  }

  canRunBeside(def: ApplianceDefinition): boolean {
    return !publishesFixedHostPorts(def);
  }

  async orphans(knownRefs: Iterable<string>): Promise<OrphanContainer[]> {
    const refs = new Set(knownRefs);
    const list = await this.docker.listContainers({ all: true, filters: { label: [LABEL_REF] } });
    return list
      .filter((c) => !refs.has(c.Labels[LABEL_REF] ?? ''))
      .map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        ref: c.Labels[LABEL_REF] ?? '',
        appliance: c.Labels[LABEL_NAME] ?? '',
        version: c.Labels[LABEL_VERSION] ?? '',
        state: c.State,
      }));
  }

  startCandidate(def: ApplianceDefinition): RunHandle {
    const main = this.entry(def);
    // A candidate left from an earlier try has ended; its removal need not hold this one up.
    void this.discard(def);
    const key = def.ref + CANDIDATE;
    const candidate: Known = { key, name: containerName(def) + CANDIDATE, def, capture: main.capture, stdinQueue: [] };
    this.known.set(key, candidate);
    const run = new DockerRun(def.ref, (id, signal) => this.signal(id, signal));
    candidate.run = run;
    void this.launch(candidate, run);
    return run;
  }

  /**
   * The candidate becomes the appliance's container: called once the old run has ended, it
   * takes the old container's name (the next agent adopts it by that name) and its place here.
   */
  async promote(def: ApplianceDefinition): Promise<void> {
    const key = def.ref + CANDIDATE;
    const candidate = this.known.get(key);
    const id = candidate?.run?.containerId;
    if (!candidate || id === undefined) throw new Error(`${def.name}: no new container to promote`);
    await this.removing.get(def.ref);
    await this.docker.getContainer(id).rename({ name: containerName(def) });
    const main = this.entry(def);
    this.closeStreams(main);
    Object.assign(main, { run: candidate.run, follow: candidate.follow, stdin: candidate.stdin, stdinQueue: candidate.stdinQueue });
    const seen = this.lastSeen.get(key);
    if (seen) this.lastSeen.set(def.ref, seen);
    this.lastSeen.delete(key);
    this.known.delete(key);
  }

  /**
   * Forgets the candidate; its run must have ended (or never began). Resolves once its
   * container is gone, so that a rollback is over when the upgrade says so.
   */
  async discard(def: ApplianceDefinition): Promise<void> {
    const key = def.ref + CANDIDATE;
    const candidate = this.known.get(key);
    if (!candidate) return;
    this.closeStreams(candidate);
    this.known.delete(key);
    this.lastSeen.delete(key);
    await this.removing.get(key);
  }

  private entry(def: ApplianceDefinition): Known {
    let known = this.known.get(def.ref);
    if (!known) {
      known = { key: def.ref, name: containerName(def), def, stdinQueue: [] };
      this.known.set(def.ref, known);
    }
    known.def = def;
    return known;
  }

  private async launch(known: Known, run: DockerRun): Promise<void> {
    const def = known.def;
    this.launches.add(run);
    try {
      const chosen = await this.images.prepare(def, (event) => this.opts.onPullProgress?.(def, event));
      if (chosen.tag !== def.image_tag || chosen.digest !== def.image_digest) this.opts.onImageChosen?.(def, chosen.tag, chosen.digest);
      const options = { ...createOptions(def, chosen.image, this.opts.instance), name: known.name };
      await this.removing.get(known.key);
      const created = await this.create(options);
      if ('State' in created) {
        run.bind(created.Id);
        run.markLive(created.State.Pid, new Date(created.State.StartedAt));
        this.follow(known, run, created.Id, this.adoptSince(def));
        if (def.stdin) this.attachStdin(known, created.Id);
        return;
      }
      const container = created;
      run.bind(container.id);
      if (run.endRequested) {
        this.remove(known.key, container.id);
        run.settle({ kind: 'signal', signal: run.requestedSignal });
        return;
      }
      await container.start();
      this.follow(known, run, container.id, undefined);
      if (def.stdin) this.attachStdin(known, container.id);
      const info = await container.inspect();
      if (info.State.Running) run.markLive(info.State.Pid, new Date(info.State.StartedAt));
      // It may already be gone: the die event says so too; whichever comes first ends the run.
      else void this.ended(known, run, info.State.ExitCode, info.State.OOMKilled);
    } catch (err) {
      run.fail(this.startError(def, err));
    } finally {
      this.launches.delete(run);
    }
  }

  /**
   * Creates the container. A leftover of the same name is removed first; one that still runs
   * is this appliance's already (an adoption that could not happen), so it is taken over as it
   * is: never a second container for one ref.
   */
  private async create(options: Docker.ContainerCreateOptions): Promise<Docker.Container | Docker.ContainerInspectInfo> {
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const old = await this.docker.getContainer(options.name as string).inspect();
      if (old.State.Running) return old;
      await this.docker.getContainer(old.Id).remove({ force: true });
      return this.docker.createContainer(options);
    }
  }

  private startError(def: ApplianceDefinition, err: unknown): string {
    if (err instanceof ImageError && err.code === 'DOCKER_UNREACHABLE') return `docker engine unreachable: ${err.message}`;
    if (err instanceof ContainerSpecError || err instanceof ImageError) return err.message;
    const status = statusOf(err);
    const reason = engineReason(err);
    if (status === 404 && /no such image/i.test(reason)) return `image of ${def.name} is not on this host: ${reason}`;
    if (status === undefined && ENGINE_GONE.has((err as NodeJS.ErrnoException | null)?.code ?? '')) return `docker engine unreachable: ${reason}`;
    return `docker: ${reason}`;
  }

  private signal(containerId: string, signal: string): void {
    // A container that is already gone (409 not running, 404) has nothing left to signal.
    this.docker.getContainer(containerId).kill({ signal }).catch(() => undefined);
  }

  private onEvent(event: ContainerEvent): void {
    const known = [this.known.get(event.ref), this.known.get(event.ref + CANDIDATE)].find((k) => k?.run?.containerId === event.id);
    const run = known?.run;
    if (!known || !run) return;
    if (event.action === 'oom') run.markOom();
    else if (event.action === 'die') void this.ended(known, run, event.exitCode ?? -1, false);
  }

  /** The container of `run` is no longer running: collect the rest of its output, then report. */
  private async ended(known: Known, run: DockerRun, code: number, oomKilled: boolean): Promise<void> {
    if (!run.beginEnd()) return;
    const id = run.containerId as string;
    // Out of memory only when the main process died of it (SIGKILL); a child the kernel chose
    // is the appliance's own business, as with a shell appliance. The `oom` event comes before
    // `die`, but only a look at the container is sure.
    let oom = code === 137 && (oomKilled || run.oomKilled);
    if (!oom && code === 137) {
      oom = await this.docker.getContainer(id).inspect().then((info) => info.State.OOMKilled, () => false);
    }
    // The die can overtake the start's answer: the follow of this run is about to begin.
    if (known.follow?.run !== run && this.launches.has(run)) await Promise.race([run.followed, delay(LOG_DRAIN_MS)]);
    const follow = known.follow?.run === run ? known.follow : undefined;
    if (follow) await Promise.race([follow.done, delay(LOG_DRAIN_MS)]);
    // Read what is left, always: the engine may end a follow as the container stops, before
    // its log copier has written the last chunk (a final line without a newline, seen about
    // once in eight quick exits); and a stream opened before the engine went away, or none at
    // all, has missed more. What was seen already is skipped.
    await this.catchUp(known, id, this.seenSince(known.key));
    if (known.run === run) this.closeStreams(known);
    run.settle(oom ? { kind: 'oom' } : code < 0 ? { kind: 'signal', signal: 'SIGKILL' } : decodeWaitStatus(code));
    this.remove(known.key, id);
  }

  /** After a (re)connection: every run whose container ended meanwhile is reported. */
  private async reconcile(): Promise<void> {
    const epoch = this.epoch;
    for (const known of [...this.known.values()]) {
      const run = known.run;
      if (!run || run.ending || epoch !== this.epoch) continue;
      try {
        const id = run.containerId ?? (await this.findContainer(known.def.ref))?.Id;
        if (id === undefined) {
          // A pending adoption whose container no longer exists; a run still being created
          // has no container yet and its launch decides.
          if (!run.live && run.containerId === undefined && !this.launches.has(run)) run.fail('container gone while the engine was unreachable');
          continue;
        }
        const info = await this.docker.getContainer(id).inspect();
        run.bind(id);
        if (info.State.Running) {
          run.markLive(info.State.Pid, new Date(info.State.StartedAt));
          if (!known.follow || known.follow.epoch !== this.epoch) this.follow(known, run, id, this.seenSince(known.key));
        } else if (info.State.Status !== 'created') {
          void this.ended(known, run, info.State.ExitCode, info.State.OOMKilled);
        }
      } catch (err) {
        if (statusOf(err) === 404 && run.containerId !== undefined) {
          run.settle({ kind: 'signal', signal: 'SIGKILL' });
        }
      }
    }
  }

  private async findContainer(ref: string): Promise<Docker.ContainerInspectInfo | undefined> {
    const list = (await this.containersOf(ref)).filter((c) => !isCandidate(c));
    // Normally one; a running one wins over leftovers.
    const chosen = list.find((c) => c.State === 'running') ?? list[0];
    return chosen ? this.docker.getContainer(chosen.Id).inspect() : undefined;
  }

  private containersOf(ref: string): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({ all: true, filters: { label: [`${LABEL_REF}=${ref}`] } });
  }

  /** A new agent finds an upgrade's new container only if that upgrade was cut short: it goes. */
  private async dropCandidates(ref: string): Promise<void> {
    const list = (await this.containersOf(ref)).filter(isCandidate);
    await Promise.all(list.map((c) => this.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }

  /** Where to read on from: the earlier of the streams' last times, so neither loses a message. */
  private seenSince(ref: string): string | undefined {
    const seen = this.lastSeen.get(ref) ?? {};
    const out = seen.out?.time;
    const err = seen.err?.time;
    if (out === undefined || err === undefined) return out ?? err;
    return timeAfter(out, err) ? err : out;
  }

  private adoptSince(def: ApplianceDefinition): string | undefined {
    const seen = this.seenSince(def.ref);
    if (seen) return seen;
    const last = this.opts.lastLogTime?.(def);
    return last ? new Date(last.getTime() - ADOPT_LOG_MARGIN_MS).toISOString() : 'now';
  }

  /** Follows the container's output from `since` (exclusive when it is a time seen before). */
  private follow(known: Known, run: DockerRun, id: string, since: string | undefined): void {
    known.follow?.stream.destroy?.();
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const follow: Follow = { stream: undefined as unknown as Follow['stream'], done, epoch: this.epoch, run };
    known.follow = follow;
    run.markFollowed();
    const query = { follow: true as const, stdout: true, stderr: true, timestamps: true, ...sinceQuery(since) };
    this.docker
      .getContainer(id)
      .logs(query)
      .then((stream) => {
        follow.stream = stream;
        if (known.follow !== follow || run.ended) {
          (stream as Follow['stream']).destroy?.();
          resolveDone();
          return;
        }
        const reader = this.frameReader(known, since);
        stream.on('data', (chunk: Buffer) => reader.push(chunk));
        stream.on('end', resolveDone);
        stream.on('close', resolveDone);
        stream.on('error', resolveDone);
      })
      .catch(() => resolveDone());
  }

  /** Reads what the container wrote since `since` without following (a finished container). */
  private async catchUp(known: Known, id: string, since: string | undefined): Promise<void> {
    try {
      const buffer = await this.docker.getContainer(id).logs({ stdout: true, stderr: true, timestamps: true, ...sinceQuery(since) });
      this.frameReader(known, since).push(Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer));
    } catch {
      // Nothing more to read: the container or the engine is gone.
    }
  }

  /**
   * One read of the container's log (a follow or a catch-up). What this runner saw before the
   * read began is skipped, exactly: messages before the last seen time, and as many messages
   * at that very time as were seen (the engine stamps several messages with one time). Reads
   * never overlap (a catch-up comes after the follow it replaces has ended), so within a read
   * every message is new.
   */
  private frameReader(known: Known, since: string | undefined): LogFrameReader {
    const ref = known.key;
    const after = since && since !== 'now' ? { time: since, n: 0 } : undefined;
    const seenBefore = { ...this.lastSeen.get(ref) };
    const skipped = { out: 0, err: 0 };
    return new LogFrameReader((frame) => {
      if (frame.time !== '') {
        const boundary = seenBefore[frame.stream] ?? after;
        if (boundary && timeAfter(boundary.time, frame.time)) return;
        if (boundary && boundary.time === frame.time && skipped[frame.stream] < boundary.n) {
          skipped[frame.stream] += 1;
          return;
        }
        const times = this.lastSeen.get(ref) ?? {};
        const last = times[frame.stream];
        const n = last && last.time === frame.time ? last.n + 1 : 1;
        this.lastSeen.set(ref, { ...times, [frame.stream]: { time: frame.time, n } });
      }
      known.capture?.write(frame.stream, frame.payload);
    });
  }

  private attachStdin(known: Known, id: string): void {
    this.docker
      .getContainer(id)
      .attach({ stream: true, stdin: true, stdout: false, stderr: false, hijack: true })
      .then((stream) => {
        const duplex = stream as unknown as Duplex;
        duplex.on('error', () => undefined);
        if (known.run?.containerId !== id || known.run.ended) {
          duplex.destroy();
          return;
        }
        known.stdin?.destroy();
        known.stdin = duplex;
        for (const data of known.stdinQueue.splice(0)) duplex.write(data);
      })
      .catch(() => undefined);
  }

  private closeStreams(known: Known): void {
    known.follow?.stream?.destroy?.();
    known.follow = undefined;
    known.stdin?.destroy();
    known.stdin = undefined;
    known.stdinQueue = [];
  }

  private remove(ref: string, id: string): void {
    const removal = this.docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined)
      .finally(() => {
        if (this.removing.get(ref) === removal) this.removing.delete(ref);
      });
    this.removing.set(ref, removal);
  }
}


function exitReasonOf(state: Docker.ContainerInspectInfo['State']): ExitReason {
  if (state.OOMKilled) return { kind: 'oom' };
  if (state.Status === 'created') return { kind: 'spawn-error', message: 'the container was created but never started' };
  return decodeWaitStatus(state.ExitCode);
}

/** The engine's `since` takes seconds with a fraction; our times are RFC 3339 with nanoseconds. */
function sinceQuery(since: string | undefined): { since?: string; tail?: number } {
  if (since === undefined) return {};
  if (since === 'now') return { tail: 0 };
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(since);
  if (!match) return {};
  const seconds = Math.floor(Date.parse(`${match[1]}${match[3]}`) / 1000);
  return { since: `${seconds}.${(match[2] ?? '').padEnd(9, '0').slice(0, 9)}` };
}

function isCandidate(container: Docker.ContainerInfo): boolean {
  return (container.Names[0] ?? '').endsWith(CANDIDATE);
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message (`json.message`) when it gave one, else the error's. */
function engineReason(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  return typeof json?.message === 'string' ? json.message : errorMessage(err);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
