/**
 * The agent: boot order, the API server, and the two ways out.
 *
 * Boot, in steps (boot-steps.ts): hear signals, lock the state dir, open the event log, make the
 * runners, open the cluster membership (with a `[cluster]` table; it joins in the background),
 * load (or on a first boot create) the appliances, re-adopt what still runs and start what
 * should run, then answer on the socket. Every way out undoes the steps taken, the last
 * first: a step that fails (what runs is left for the next agent, as in a hand-off), a stop, a
 * hand-off.
 * SIGTERM/SIGINT: stop every appliance gracefully and exit 0 (`systemctl stop`).
 * SIGUSR2 or `spew agent --handoff`: exit at once leaving appliances running, for the next
 * agent to adopt (restarting the agent during an upgrade).
 * SIGHUP: re-read the instance config (config-reload.ts).
 * Every other signal that can be caught is ignored (agent-signals.ts); one that asks for an exit
 * during boot is carried out once the boot is done.
 */
import { chmodSync, lchownSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'winston';
import type { AgentAnswer, EngineAnswer } from '../api/wire.js';
import { Manager } from '../appliance/manager.js';
import { systemClock, systemRandom, systemTimers } from '../common/clock.js';
import { errorMessage, errorStack } from '../common/errors.js';
import { expandIncludes, loadApplianceFiles, type LoadedItem } from '../config/appliance-file.js';
import { itemDefaults, type InstanceConfig } from '../config/instance-config.js';
import type { ItemDefaults } from '../config/item-validator.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import type { LayerProgress } from '../model/image-pull.js';
import { createAgentLogger } from '../logs/agent-logger.js';
import { RunnerSet } from '../runners/runner-set.js';
import { RUNNER_REGISTRY } from '../runners/runner-registry.js';
import type { ContainerRuntime, OrphanContainer } from '../runners/container-runtime.js';
import { PullFeed } from '../images/pull-feed.js';
import { lastLineTime } from '../logs/last-line-time.js';
import { applianceLogPath } from '../logs/appliance-log-path.js';
import { AutoUpgrader } from '../upgrades/auto-upgrader.js';
import { Upgrader } from '../upgrades/upgrader.js';
import { VersionControl } from '../versions/version-control.js';
import { EventLog } from '../store/event-log.js';
import { apiRoutes, type ApiContext } from './api-routes.js';
import { ConfigReloader } from './config-reload.js';
import { compactHeap } from '../common/heap-footprint.js';
import { InstanceLock } from './instance-lock.js';
import { resolveIdentity } from '../runners/user-ids.js';
import { closeDebuggerDoor } from '../common/debugger-door.js';
import { makeAgentDirs } from './agent-dirs.js';
import { handleSignals, type SignalAction } from './agent-signals.js';
import { BootSteps, type Step } from './boot-steps.js';
import { openCluster, type ClusterStep } from './cluster-step.js';
import { hostActions } from './host-actions.js';
import { LateBound } from './late-bound.js';

export interface AgentOptions {
  config: InstanceConfig;
  foreground: boolean;
  version: string;
}

type Exit = 'stop' | 'handoff';

/** The longest the agent waits for its appliances to settle after boot before compacting its heap. */
const BOOT_SETTLE_MS = 30_000;

/**
 * Connections the socket queues before the agent accepts them: a thousand clients at once
 * (a fleet's monitoring, a script in a loop) must all get in. The kernel caps it at somaxconn.
 */
const LISTEN_BACKLOG = 4096;

/** What the runners step makes. */
interface RunnerStep extends Step<Exit> {
  runner: RunnerSet;
  pulls: PullFeed;
  /** Where each appliance's pull progress goes: `spew pull` and `spew upgrade` follow it. */
  publishPull: (def: ApplianceDefinition, event: LayerProgress) => void;
  /** The Docker engine as last heard of; undefined until a docker appliance needs it. */
  engine: () => EngineAnswer | undefined;
}

/** What the manager step makes. */
interface ManagerStep extends Step<Exit> {
  manager: Manager;
  upgrader: Upgrader;
}

export class Agent {
  private readonly logger: Logger;
  private readonly reloader: ConfigReloader;
  private readonly defaults: ItemDefaults;
  private readonly steps: BootSteps<Exit>;
  /** Once the boot is done; an exit asked for before waits in `exitAsked`. */
  private up = false;
  private exitAsked: Exit | undefined;
  private exitStarted = false;
  private stopLoggingStrayErrors: (() => void) | undefined;
  private resolveDone!: () => void;
  /** Settles when the agent has shut down. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly opts: AgentOptions) {
    const { config } = opts;
    makeAgentDirs(config);
    this.logger = createAgentLogger({ level: config.log_level, foreground: opts.foreground, logDir: config.log_dir });
    this.reloader = new ConfigReloader(config, this.logger);
    this.defaults = itemDefaults(config);
    // A boot cut short leaves what runs for the next agent to adopt, as a hand-off does.
    this.steps = new BootSteps<Exit>('handoff', (_step, err) => this.logger.error(`shutdown: ${errorMessage(err)}`));
  }

  async start(): Promise<void> {
    const { config } = this.opts;
    const { steps } = this;
    if (closeDebuggerDoor()) this.logger.warn('an inspector was open in the agent (--inspect, or SIGUSR1 during start-up): closed');
    await steps.take('signals', () => this.hearSignals());
    await steps.take('instance lock', () => lockStateDir(config.state_dir));
    const { events } = await steps.take('event log', () => openEventLog(config.state_dir));
    // A container start tells the manager which image it chose; the manager is made on the runners.
    const imagePins = new LateBound<Pick<Manager, 'pinImage'>>('the manager');
    const runners = await steps.take('runners', () => this.makeRunners(imagePins));
    const membership = await steps.take('cluster', () => openCluster({ settings: config.cluster, stateDir: config.state_dir, version: this.opts.version, logger: this.logger }));
    const { manager, upgrader } = await steps.take('manager', () => this.bootManager(events, runners, imagePins, membership));
    membership.start(manager, events, hostActions(manager, this.defaults));
    const startedAt = new Date();
    void this.reportOrphans(manager, runners.runner);
    void manager.settled(BOOT_SETTLE_MS).then(compactHeap);
    const { runner, pulls, engine } = runners;
    await steps.take('api server', () => this.serve({
      manager,
      events,
      runner,
      logDir: config.log_dir,
      maxLogFiles: config.appliance_logs.max_files,
      itemDefaults: this.defaults,
      about: (): AgentAnswer => ({
        version: this.opts.version,
        pid: process.pid,
        state_dir: config.state_dir,
        socket: config.socket,
        started_at: startedAt.toISOString(),
        appliances: manager.size,
      }),
      handOff: () => void this.exit('handoff'),
      versions: new VersionControl(manager, upgrader),
      docker: {
        manager,
        pulls,
        upgrader,
        engine,
        orphans: async () => orphansOf(await runner.containerRuntimes(true), manager),
      },
      cluster: membership.cluster,
    }));
    // Not a step: errors nobody caught are logged until the agent has gone, past the last undo.
    this.stopLoggingStrayErrors = logStrayErrors(this.logger);
    this.up = true;
    this.logger.info(`agent ${this.opts.version} up: ${manager.size} appliance(s), socket ${config.socket}`);
    if (this.exitAsked) void this.exit(this.exitAsked);
  }

  /** From the first moment: an exit asked for during the boot is carried out once it is done. */
  private hearSignals(): Step<Exit> {
    const unhandle = handleSignals(
      (action, signal) => this.onSignal(action, signal),
      (signal) => this.logger.warn(`${signal} ignored: it means nothing to the agent`),
    );
    return { dispose: unhandle };
  }

  private async makeRunners(imagePins: LateBound<Pick<Manager, 'pinImage'>>): Promise<RunnerStep> {
    const { config } = this.opts;
    const pulls = new PullFeed();
    const publishPull = (def: ApplianceDefinition, event: LayerProgress): void => pulls.publish({ ...event, ref: def.ref, name: def.name, image: def.image ?? '' });
    let engine: EngineAnswer | undefined;
    const runner = new RunnerSet(RUNNER_REGISTRY, {
      stateDir: config.state_dir,
      warn: (message) => this.logger.warn(message),
      onEngineState: (state, detail) => {
        engine = { state, detail };
        this.logger.log(state === 'reachable' ? 'info' : 'warn', `docker: ${state}${detail ? ` (${detail})` : ''}`);
      },
      lastLogTime: (def) => lastLineTime(applianceLogPath(config.log_dir, def.name)),
      onImageChosen: (def, tag, digest) => imagePins.get().pinImage(def.ref, tag, digest),
      onPullProgress: publishPull,
    });
    await runner.open();
    return {
      runner,
      pulls,
      publishPull,
      // Until the engine's first word, it is being connected to.
      engine: () => engine ?? (runner.usesContainers ? { state: 'unreachable', detail: 'connecting' } : undefined),
      // Nothing of their own to undo: what they take up, they take when the manager prepares
      // them, and the manager lets go of it (its hand-off detaches them).
      dispose: () => undefined,
    };
  }

  /** The manager, with the upgrades that work through it, booted: what should run runs. */
  private async bootManager(events: EventLog, runners: RunnerStep, imagePins: LateBound<Pick<Manager, 'pinImage'>>, cluster: ClusterStep): Promise<ManagerStep> {
    const { config } = this.opts;
    // The auto-upgrader follows the manager's appliances, and upgrades through the manager.
    const autoUpgrades = new LateBound<AutoUpgrader>('the auto-upgrader');
    const manager = new Manager({
      stateDir: config.state_dir,
      logDir: config.log_dir,
      applianceLogs: config.appliance_logs,
      runner: runners.runner,
      events,
      logger: this.logger,
      supervision: config.supervision,
      onAppliancesChanged: (appliances) => {
        autoUpgrades.get().sync(appliances);
        cluster.appliancesChanged(appliances);
      },
      historyLimit: config.history_limit,
      stopTimeoutMs: config.stop_timeout_ms,
      clock: systemClock,
      timers: systemTimers,
      random: systemRandom,
      ...(cluster.cluster && { names: cluster.cluster.names, remote: cluster.cluster.dependencies }),
    });
    imagePins.bind(manager);
    const upgrader = new Upgrader(manager, (def) => runners.runner.containerRuntime(def), runners.publishPull);
    const autoUpgrader = new AutoUpgrader(upgrader, (line) => this.logger.warn(line));
    autoUpgrades.bind(autoUpgrader);
    try {
      await manager.boot(() => this.firstBootItems());
    } catch (err) {
      // What the runners took up goes as in a hand-off, what runs stays for the next agent; the
      // state is not saved, as what it holds may be what cut the boot short.
      await runners.runner.detach('handoff').catch((detachErr: unknown) => this.logger.error(`shutdown: ${errorMessage(detachErr)}`));
      throw err;
    }
    return {
      manager,
      upgrader,
      dispose: async (how) => {
        autoUpgrader.stop();
        if (how === 'stop') await manager.stopAll();
        await manager.handOff(how);
      },
    };
  }

  private async firstBootItems(): Promise<LoadedItem[]> {
    const { config } = this.opts;
    const base = config.configFile ? dirname(config.configFile) : process.cwd();
    return loadApplianceFiles(await expandIncludes(config.include, base), this.defaults);
  }

  private async serve(api: ApiContext): Promise<Step<Exit>> {
    const { config } = this.opts;
    const router = apiRoutes(api, (err) => this.logger.error(`request failed: ${errorMessage(err)}`, { stack: errorStack(err) }));
    const server = createServer((req, res) => void router.handle(req, res));
    server.on('upgrade', (req, socket) => router.upgrade(req, socket as Socket));
    await listen(server, config.socket);
    const close = (): void => {
      server.close();
      unlinkQuietly(config.socket);
    };
    try {
      chmodSync(config.socket, config.socket_mode);
      const owner = resolveIdentity(config.socket_owner, config.socket_group);
      if (owner) lchownSync(config.socket, config.socket_owner ? owner.uid : -1, owner.gid);
    } catch (err) {
      close();
      throw err;
    }
    return { dispose: close };
  }

  private onSignal(action: SignalAction, signal: NodeJS.Signals): void {
    if (action === 'reload') {
      void this.reloader.reload();
      return;
    }
    if (this.up) {
      void this.exit(action);
      return;
    }
    this.logger.info(`${signal} during boot: the agent will ${action === 'stop' ? 'stop' : 'hand off'} once it is up`);
    this.exitAsked ??= action;
  }

  /** Containers labelled by spew whose appliance is gone: said once at boot, listed by `spew orphans`. */
  private async reportOrphans(manager: Manager, runner: RunnerSet): Promise<void> {
    const runtimes = await runner.containerRuntimes(false);
    if (runtimes.length === 0) return;
    try {
      for (const o of await orphansOf(runtimes, manager)) this.logger.warn(`docker: container ${o.name} (${o.state}) belongs to appliance ${o.appliance} (ref ${o.ref}), which this agent does not have`);
    } catch (err) {
      this.logger.warn(`docker: cannot list containers: ${errorMessage(err)}`);
    }
  }

  private async exit(how: Exit): Promise<void> {
    if (this.exitStarted) return;
    this.exitStarted = true;
    this.logger.info(how === 'stop' ? 'stopping every appliance, then exiting' : 'handing off: exiting, appliances keep running');
    await this.steps.undo(how);
    this.logger.info('agent exited');
    await new Promise<void>((resolve) => {
      this.logger.on('finish', resolve);
      this.logger.end();
    });
    this.stopLoggingStrayErrors?.();
    this.resolveDone();
  }
}

/** The containers of these runtimes that none of the manager's appliances accounts for. */
async function orphansOf(runtimes: ContainerRuntime[], manager: Manager): Promise<OrphanContainer[]> {
  const refs = manager.all().map((a) => a.ref);
  return (await Promise.all(runtimes.map((runtime) => runtime.orphans(refs)))).flat();
}

function lockStateDir(stateDir: string): Step<Exit> {
  const lock = InstanceLock.acquire(stateDir);
  return { dispose: () => lock.release() };
}

async function openEventLog(stateDir: string): Promise<Step<Exit> & { events: EventLog }> {
  const events = new EventLog(stateDir);
  try {
    await events.loadRecent();
  } catch (err) {
    events.close();
    throw err;
  }
  return { events, dispose: () => events.close() };
}

async function listen(server: Server, socket: string): Promise<void> {
  // We hold the state dir's lock, so a socket file left here is from a dead agent.
  unlinkQuietly(socket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: socket, backlog: LISTEN_BACKLOG }, () => resolve());
  });
}

/**
 * Once the agent is up, a bug in one request's path must not take every appliance's supervision
 * down with it. Answers what removes the listeners.
 */
function logStrayErrors(logger: Logger): () => void {
  const uncaught = (err: Error): void => void logger.error(`uncaught: ${errorStack(err)}`);
  const unhandled = (reason: unknown): void => void logger.error(`unhandled rejection: ${errorMessage(reason)}`);
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', unhandled);
  return () => {
    process.off('uncaughtException', uncaught);
    process.off('unhandledRejection', unhandled);
  };
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: nothing to remove.
  }
}
