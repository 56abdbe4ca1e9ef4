/**
 * `spew upgrade`: moves a container appliance to a newer image tag, and back when the new one
 * does not prove itself. The appliance keeps its ref throughout.
 *
 *   start-first  the new container starts beside the old one (same labels, name + "-next");
 *                once healthy it becomes the appliance's run, the old one is stopped and the
 *                new one takes its name. On failure the new one goes; the old never stopped.
 *   stop-first   the old container stops, the appliance starts on the new tag; on failure it
 *                stops again and starts on the old tag.
 * Unless configured, start-first, or stop-first when fixed host ports would clash.
 *
 * The image is pulled before anything is touched, so a pull that fails changes nothing.
 */
import type { Appliance } from '../appliance/appliance.js';
import type { ApplianceService } from '../appliance/appliance-service.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { describeExit } from '../model/appliance-state.js';
import { SpewError } from '../common/errors.js';
import type { LayerProgress } from '../model/image-pull.js';
import { repositoryOf } from '../images/image-source.js';
import { capabilitiesOf } from '../model/appliance-type.js';
import type { ContainerRuntime } from '../runners/container-runtime.js';
import { HealthWatch } from '../watchers/health-watch.js';
import { Trial, type TrialVerdict } from './trial.js';
import type { RawItem, VersionSource } from '../model/appliance-version.js';

export type UpgradeOutcome =
  | { outcome: 'current'; from: string | null; to: string }
  | { outcome: 'upgraded'; from: string | null; to: string }
  | { outcome: 'rolled-back'; from: string | null; to: string; reason: string };

/** An appliance without watchers must stay up this long to count as healthy. */
const SETTLE_MS = 2000;

export class Upgrader {
  private readonly busy = new Set<string>();

  constructor(
    private readonly host: Pick<ApplianceService, 'get' | 'redefine' | 'announce' | 'stopRun' | 'startRun'>,
    /** The container runtime that runs `def`, an appliance whose image can be upgraded. */
    private readonly runtime: (def: ApplianceDefinition) => ContainerRuntime,
    private readonly onProgress: (def: ApplianceDefinition, event: LayerProgress) => void,
  ) {}

  /** The tag its constraint admits today, next to the one it runs. */
  async check(id: string): Promise<{ current: string | null; available: string }> {
    const def = upgradable(this.host.get(id));
    return { current: currentTag(def), available: (await this.runtime(def).images.newest(def)).tag };
  }

  async upgrade(id: string, to?: string): Promise<UpgradeOutcome> {
    const appliance = this.host.get(id);
    const def = upgradable(appliance);
    return this.exclusively(def, async () => {
      const tag = to ?? (await this.runtime(def).images.newest(def)).tag;
      const from = currentTag(def);
      if (from === tag) return { outcome: 'current', from, to: tag };
      const pulled = await this.runtime(def).images.ensure(repositoryOf(def), tag, (event) => this.onProgress(def, event));
      const { image_digest: _old, ...rest } = def;
      const target = { ...rest, image_tag: tag, ...(pulled.digest !== undefined && { image_digest: pulled.digest }) };
      return this.switchTo(appliance, target, { kind: 'upgrade', from, to: tag });
    });
  }

  /**
   * Moves a container appliance onto `target` (another image, or any other definition: a
   * rollback of its history) through the health-gated path, keeping the old run until the new
   * one has proved itself.
   */
  async replace(appliance: Appliance, target: ApplianceDefinition, source: VersionSource, raw?: RawItem): Promise<UpgradeOutcome> {
    return this.exclusively(upgradable(appliance), () => this.switchTo(appliance, target, source, raw));
  }

  private async exclusively(def: ApplianceDefinition, work: () => Promise<UpgradeOutcome>): Promise<UpgradeOutcome> {
    if (this.busy.has(def.ref)) throw new SpewError('UPGRADE_IN_PROGRESS', `${def.name} is being upgraded already`);
    this.busy.add(def.ref);
    try {
      return await work();
    } finally {
      this.busy.delete(def.ref);
    }
  }

  private async switchTo(appliance: Appliance, target: ApplianceDefinition, source: VersionSource, raw?: RawItem): Promise<UpgradeOutcome> {
    const def = appliance.definition;
    const from = currentTag(def);
    const to = currentTag(target) ?? '-';
    const strategy = target.upgrade?.strategy ?? (this.runtime(target).canRunBeside(target) ? 'start-first' : 'stop-first');
    const up = appliance.state === 'running' || appliance.state === 'alive';
    if (!up) {
      // Nothing runs to compare with: the next start runs the new definition.
      await this.host.redefine(appliance, target, source, raw);
      this.host.announce(appliance, { kind: 'upgrade', from, to, strategy });
      return { outcome: 'upgraded', from, to };
    }
    this.host.announce(appliance, { kind: 'upgrade-begin', from, to, strategy });
    const verdict = strategy === 'start-first' ? await this.startFirst(appliance, target, source, raw) : await this.stopFirst(appliance, target, source, raw);
    if (verdict.passed) {
      this.host.announce(appliance, { kind: 'upgrade', from, to, strategy });
      return { outcome: 'upgraded', from, to };
    }
    this.host.announce(appliance, { kind: 'rollback', from: to, to: from, reason: verdict.reason });
    return { outcome: 'rolled-back', from, to, reason: verdict.reason };
  }

  private async startFirst(appliance: Appliance, def: ApplianceDefinition, source: VersionSource, raw: RawItem | undefined): Promise<TrialVerdict> {
    const runtime = this.runtime(def);
    const handle = runtime.startCandidate(def);
    const trial = this.trialFor(def, appliance.watched);
    const health = new HealthWatch(def, (verdict) => (verdict.kind === 'up' ? trial.healthy() : trial.fail(`watcher ${verdict.kind}: ${verdict.detail}`)));
    void handle.up?.then((pid) => {
      if (pid === 0) return;
      health.start();
      trial.up();
    });
    void handle.exited.then((reason) => trial.fail(describeExit(reason)));
    const verdict = await trial.verdict;
    health.stop();
    if (!verdict.passed) {
      handle.kill();
      await handle.exited;
      await runtime.discard(def);
      return verdict;
    }
    await this.host.redefine(appliance, def, source, raw);
    const old = appliance.replaceRun(handle);
    if (old) {
      old.stop(def.stop_signal, def.stop_timeout_ms);
      await old.exited;
    }
    await runtime.promote(def);
    return verdict;
  }

  private async stopFirst(appliance: Appliance, target: ApplianceDefinition, source: VersionSource, raw: RawItem | undefined): Promise<TrialVerdict> {
    const [previous, previousVersion] = [appliance.definition, appliance.version];
    await this.host.stopRun(appliance);
    await this.host.redefine(appliance, target, source, raw);
    const verdict = await this.tryOwnRun(appliance);
    if (!verdict.passed) {
      await this.host.stopRun(appliance);
      await this.host.redefine(appliance, previous, { kind: 'rollback', to_version: previousVersion });
      this.host.startRun(appliance);
    }
    return verdict;
  }

  /** Starts the appliance and judges the run by the events it goes through. */
  private async tryOwnRun(appliance: Appliance): Promise<TrialVerdict> {
    const trial = this.trialFor(appliance.definition, appliance.watched);
    const unobserve = appliance.observe((event) => {
      switch (event.kind) {
        case 'started':
          trial.up();
          return;
        case 'watcher':
          if (event.what === 'up') trial.healthy();
          else trial.fail(`watcher ${event.what}: ${event.detail}`);
          return;
        case 'crash':
          trial.fail(describeExit(event.reason));
          return;
        case 'stop':
          trial.fail('it exited');
          return;
        default:
          return;
      }
    });
    this.host.startRun(appliance);
    const verdict = await trial.verdict;
    unobserve();
    return verdict;
  }

  private trialFor(def: ApplianceDefinition, watched: boolean): Trial {
    return new Trial({ deadline_ms: def.upgrade?.deadline_ms ?? 60_000, settle_ms: SETTLE_MS }, watched);
  }
}

function upgradable(appliance: Appliance): ApplianceDefinition {
  const def = appliance.definition;
  if (!capabilitiesOf(def.type).upgrades) throw new SpewError('INVALID_REQUEST', `${def.name} is a ${def.type} appliance: only an appliance that runs an image is upgraded`);
  return def;
}

/** The tag it runs, or would run now. */
function currentTag(def: ApplianceDefinition): string | null {
  return def.image_tag ?? def.tag ?? null;
}
