/**
 * All of an appliance's watchers and monitors as one: `up` once every one of them is up, and
 * `down` or `timeout` the moment any one of them says so. An appliance with neither has an
 * empty health watch and goes straight to `running` when its process is up.
 */
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { runAsOf } from '../runners/run-as.js';
import { createCheck } from './create-check.js';
import { TcpMonitor } from './tcp-monitor.js';
import { WatcherLoop, type WatchState, type WatchVerdict } from './watcher-loop.js';

interface Member {
  readonly label: string;
  readonly state: WatchState;
  start(): void;
  stop(): void;
}

export interface WatchStatus {
  watcher: string;
  state: WatchState;
}

function labelOf(spec: ApplianceDefinition['watchers'][number]): string {
  switch (spec.type) {
    case 'http':
      return `http ${spec.url}`;
    case 'tcp':
      return `tcp ${spec.address}`;
    case 'exec':
      return `exec ${typeof spec.command === 'string' ? spec.command : spec.command.join(' ')}`;
  }
}

export class HealthWatch {
  private readonly members: Member[] = [];

  constructor(def: ApplianceDefinition, onVerdict: (verdict: WatchVerdict) => void) {
    const relay = (verdict: WatchVerdict): void => {
      if (verdict.kind !== 'up') onVerdict(verdict);
      else if (this.members.every((m) => m.state === 'up')) onVerdict(verdict);
    };
    for (const spec of def.watchers) {
      const loop = new WatcherLoop(spec, createCheck(spec, runAsOf(def)), relay);
      this.members.push(Object.assign(loop, { label: labelOf(spec) }));
    }
    for (const spec of def.monitors) {
      const monitor = new TcpMonitor(spec, relay);
      this.members.push(Object.assign(monitor, { label: `monitor tcp ${spec.address}` }));
    }
  }

  get size(): number {
    return this.members.length;
  }

  start(): void {
    for (const member of this.members) member.start();
  }

  stop(): void {
    for (const member of this.members) member.stop();
  }

  states(): WatchStatus[] {
    return this.members.map((m) => ({ watcher: m.label, state: m.state }));
  }
}
