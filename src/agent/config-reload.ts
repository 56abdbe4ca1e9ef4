/**
 * SIGHUP re-reads the instance config (`systemctl reload spew`, the init script's reload). A file
 * that does not load is refused, each problem logged with its file:line:col and key, and the
 * agent runs on as it was. What can change while the agent runs is applied (`log_level`); a
 * change to anything else is logged as waiting for the agent's next start.
 */
import type { Logger } from 'winston';
import { errorMessage } from '../common/errors.js';
import { stableJson } from '../common/stable-json.js';
import { loadInstanceConfig, type InstanceConfig } from '../config/instance-config.js';

export type ReloadLogger = Pick<Logger, 'info' | 'warn' | 'error'> & { level: string };

type Setting = Exclude<keyof InstanceConfig, 'configFile'>;

/** The names the file uses, where the loaded config keeps another (a duration in ms, say). */
const FILE_KEYS: Partial<Record<Setting, string>> = { stop_timeout_ms: 'stop_timeout' };

export class ConfigReloader {
  /** What the agent runs on: the config it started with, plus what reloads have applied. */
  private running: InstanceConfig;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    config: InstanceConfig,
    private readonly logger: ReloadLogger,
    private readonly read: () => Promise<InstanceConfig> = () =>
      loadInstanceConfig({ file: config.configFile ?? undefined, env: process.env, uid: process.getuid?.() ?? 0 }),
  ) {
    this.running = config;
  }

  /** One reload at a time: a second SIGHUP waits for the first to be done. */
  reload(): Promise<void> {
    this.queue = this.queue.then(() => this.reloadNow());
    return this.queue;
  }

  private async reloadNow(): Promise<void> {
    const source = this.running.configFile ?? 'the defaults (no config file)';
    let next: InstanceConfig;
    try {
      next = await this.read();
    } catch (err) {
      for (const line of errorMessage(err).split('\n')) this.logger.error(`reload refused: ${line}`);
      this.logger.warn(`reload: still running on the config loaded before from ${source}`);
      return;
    }
    const changed = changedSettings(this.running, next);
    if (changed.length === 0) {
      this.logger.info(`reload: ${source}: nothing changed`);
      return;
    }
    const waiting: string[] = [];
    for (const setting of changed) {
      if (setting === 'log_level') {
        this.logger.level = next.log_level;
        this.running = { ...this.running, log_level: next.log_level };
        this.logger.info(`reload: log_level is now ${next.log_level}`);
      } else if (setting === 'include') {
        this.logger.warn('reload: include changed; appliance files are read on the first start only, `spew apply` applies them');
      } else {
        waiting.push(FILE_KEYS[setting] ?? setting);
      }
    }
    if (waiting.length > 0) this.logger.warn(`reload: ${waiting.join(', ')} changed; the agent applies this when it next starts (systemctl restart spew)`);
  }
}

function changedSettings(before: InstanceConfig, after: InstanceConfig): Setting[] {
  const settings = new Set([...Object.keys(before), ...Object.keys(after)].filter((key): key is Setting => key !== 'configFile'));
  return [...settings].filter((key) => stableJson(before[key]) !== stableJson(after[key]));
}
