/** The one place that turns a watcher spec into its check. */
import { ExecCheck } from './exec-check.js';
import { HttpCheck } from './http-check.js';
import { TcpCheck } from './tcp-check.js';
import type { RunAs } from '../runners/run-as.js';
import type { WatcherCheck } from './watcher-check.js';
import type { WatcherSpec } from '../model/watcher-spec.js';

/** `runAs` (the appliance's user, group, env and cwd) only matters to exec checks. */
export function createCheck(spec: WatcherSpec, runAs: RunAs = { env: {} }): WatcherCheck {
  switch (spec.type) {
    case 'http':
      return new HttpCheck(spec);
    case 'tcp':
      return new TcpCheck(spec.address);
    case 'exec':
      return new ExecCheck(spec.command, runAs);
  }
}
