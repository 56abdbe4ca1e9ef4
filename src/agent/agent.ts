/**
 * The agent: boot order, the API server, and the two ways out.
 *
 * Boot: lock the state dir, open the event log, load (or on a first boot create) the
 * appliances, re-adopt what still runs, start what should run, then answer on the socket.
 * SIGTERM/SIGINT: stop every appliance gracefully and exit 0 (`systemctl stop`).
 * SIGUSR2 or `spew agent --handoff`: exit at once leaving appliances running, for the next
 * agent to adopt (restarting the agent during an upgrade).
 * SIGHUP: re-read the instance config (config-reload.ts).
 * Every other signal that can be caught is ignored (agent-signals.ts); one that asks for an exit
 * during boot is carried out once the boot is done.
 */
import { chmodSync, existsSync, lchownSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'winston';
import type { AgentAnswer, EngineAnswer } from '../api/wire.js';
import { Manager } from '../appliance/manager.js';
import { systemClock, systemRandom, systemTimers } from '../common/clock.js';
import { errorMessage } from '../common/errors.js';
import { expandIncludes, loadApplianceFiles } from '../config/appliance-file.js';
import { itemDefaults, type InstanceConfig } from '../config/instance-config.js';
import { createAgentLogger } from '../logs/agent-logger.js';
import { ShellRunner } from '../runners/shell-runner.js';
import { RunnerSet } from '../runners/runner-set.js';
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

export class Agent {
  private readonly logger: Logger;
  private exitStarted = false;
  /** How to exit, once the boot has got far enough to know; an exit asked for before waits here. */
  private exitWork: ((how: Exit) => Promise<void>) | undefined;
  private exitAsked: Exit | undefined;
  private reloader: ConfigReloader | undefined;
  private resolveDone!: () => void;
  /** Settles when the agent has shut down. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly opts: AgentOptions) {
    const { config } = opts;
    makeAgentDirs(config);
    this.logger = createAgentLogger({ level: config.log_level, foreground: opts.foreground, logDir: config.log_dir });
  }

  async start(): Promise<void> {
    const { config } = this.opts;
    if (closeDebuggerDoor()) this.logger.warn('an inspector was open in the agent (--inspect, or SIGUSR1 during start-up): closed');
    const unhandleSignals = handleSignals(
      (action, signal) => this.onSignal(action, signal),
      (signal) => this.logger.warn(`${signal} ignored: it means nothing to the agent`),
    );
    this.reloader = new ConfigReloader(config, this.logger);
    const lock = InstanceLock.acquire(config.state_dir);
    const events = new EventLog(config.state_dir);
    await events.loadRecent();

    const pulls = new PullFeed();
    let engine: EngineAnswer | undefined;
    const shell = new ShellRunner(config.state_dir, (message) => this.logger.warn(message));
    const runner = new RunnerSet(shell, async () => {
      engine = { state: 'unreachable', detail: 'connecting' };
      const { DockerRunner } = await import('../runners/docker/docker-runner.js');
      return new DockerRunner({
        instance: shell.instance,
        onEngineState: (state, detail) => {
          engine = { state, detail };
          this.logger.log(state === 'reachable' ? 'info' : 'warn', `docker: ${state}${detail ? ` (${detail})` : ''}`);
        },
        lastLogTime: (def) => lastLineTime(applianceLogPath(config.log_dir, def.name)),
        onImageChosen: (def, tag, digest) => manager.pinImage(def.ref, tag, digest),
        onPullProgress: (def, event) => pulls.publish({ ...event, ref: def.ref, name: def.name, image: def.image ?? '' }),
      });
    }, () => process.env.DOCKER_HOST !== undefined || existsSync('/var/run/docker.sock'));
    const upgrader = new Upgrader(
      { get: (id) => manager.get(id), redefine: (a, def, source, raw) => manager.redefine(a, def, source, raw), announce: (a, e) => manager.announce(a, e), stopRun: (a) => manager.stopRun(a), startRun: (a) => manager.startRun(a) },
      () => runner.dockerRunner(),
      (def, event) => pulls.publish({ ...event, ref: def.ref, name: def.name, image: def.image ?? '' }),
    );
    const autoUpgrader = new AutoUpgrader(upgrader, (line) => {
      this.logger.warn(line);
    });
    const manager = new Manager({
      stateDir: config.state_dir,
      logDir: config.log_dir,
      applianceLogs: config.appliance_logs,
      runner,
      events,
      logger: this.logger,
      supervision: config.supervision,
      onAppliancesChanged: (appliances) => autoUpgrader.sync(appliances),
      historyLimit: config.history_limit,
      stopTimeoutMs: config.stop_timeout_ms,
      clock: systemClock,
      timers: systemTimers,
      random: systemRandom,
    });
    const defaults = itemDefaults(config);
    try {
      await manager.boot(async () => {
        const base = config.configFile ? dirname(config.configFile) : process.cwd();
        return loadApplianceFiles(await expandIncludes(config.include, base), defaults);
      });
    } catch (err) {
      unhandleSignals();
      events.close();
      lock.release();
      throw err;
    }
    const startedAt = new Date();
    void this.reportOrphans(manager, runner);
    void manager.settled(BOOT_SETTLE_MS).then(compactHeap);
    const exitWork = async (how: Exit): Promise<void> => {
      server.close();
      autoUpgrader.stop();
      if (how === 'stop') await manager.stopAll();
      await manager.handOff(how);
      events.close();
      unlinkQuietly(config.socket);
      lock.release();
      unhandleSignals();
    };
    const api: ApiContext = {
      manager,
      events,
      runner,
      logDir: config.log_dir,
      maxLogFiles: config.appliance_logs.max_files,
      itemDefaults: defaults,
      about: (): AgentAnswer => ({
        version: this.opts.version,
        pid: process.pid,
        state_dir: config.state_dir,
        socket: config.socket,
        started_at: startedAt.toISOString(),
        appliances: manager.size,
      }),
      handOff: () => void this.exit('handoff', exitWork),
      versions: new VersionControl(manager, upgrader),
      docker: {
        manager,
        pulls,
        upgrader,
        engine: () => engine,
        orphans: async () => (await runner.loadDocker()).orphans(manager.all().map((a) => a.ref)),
      },
    };
    const router = apiRoutes(api, (err) => this.logger.error(`request failed: ${errorMessage(err)}`, { stack: (err as Error).stack }));
    const server = createServer((req, res) => void router.handle(req, res));
    server.on('upgrade', (req, socket) => router.upgrade(req, socket as Socket));
    await this.listen(server);
    this.exitWork = exitWork;
    // A bug in one request's path must not take every appliance's supervision down with it.
    process.on('uncaughtException', (err) => this.logger.error(`uncaught: ${err.stack ?? err.message}`));
    process.on('unhandledRejection', (err) => this.logger.error(`unhandled rejection: ${errorMessage(err)}`));
    this.logger.info(`agent ${this.opts.version} up: ${manager.size} appliance(s), socket ${config.socket}`);
    if (this.exitAsked) void this.exit(this.exitAsked, exitWork);
  }

  private onSignal(action: SignalAction, signal: NodeJS.Signals): void {
    if (action === 'reload') {
      void this.reloader?.reload();
      return;
    }
    const how: Exit = action;
    if (this.exitWork) {
      void this.exit(how, this.exitWork);
      return;
    }
    this.logger.info(`${signal} during boot: the agent will ${how === 'stop' ? 'stop' : 'hand off'} once it is up`);
    this.exitAsked ??= how;
  }

  /** Containers labelled by spew whose appliance is gone: said once at boot, listed by `spew orphans`. */
  private async reportOrphans(manager: Manager, runner: RunnerSet): Promise<void> {
    const docker = runner.dockerIfUsed;
    if (!docker) return;
    try {
      const orphans = await docker.orphans(manager.all().map((a) => a.ref));
      for (const o of orphans) this.logger.warn(`docker: container ${o.name} (${o.state}) belongs to appliance ${o.appliance} (ref ${o.ref}), which this agent does not have`);
    } catch (err) {
      this.logger.warn(`docker: cannot list containers: ${errorMessage(err)}`);
    }
  }

  private async listen(server: Server): Promise<void> {
    const { config } = this.opts;
    // We hold the state dir's lock, so a socket file left here is from a dead agent.
    unlinkQuietly(config.socket);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: config.socket, backlog: LISTEN_BACKLOG }, () => resolve());
    });
    chmodSync(config.socket, config.socket_mode);
    const owner = resolveIdentity(config.socket_owner, config.socket_group);
    if (owner) lchownSync(config.socket, config.socket_owner ? owner.uid : -1, owner.gid);
  }

  private async exit(how: Exit, work: (how: Exit) => Promise<void>): Promise<void> {
    if (this.exitStarted) return;
    this.exitStarted = true;
    this.logger.info(how === 'stop' ? 'stopping every appliance, then exiting' : 'handing off: exiting, appliances keep running');
    try {
      await work(how);
    } catch (err) {
      this.logger.error(`shutdown: ${errorMessage(err)}`);
    }
    this.logger.info('agent exited');
    await new Promise<void>((resolve) => {
      this.logger.on('finish', resolve);
      this.logger.end();
    });
    this.resolveDone();
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: nothing to remove.
  }
}
