/**
 * Runs the hook actions bound to an event. Fire and forget: `run` returns at once and
 * supervision never waits on a hook. The actions of one call run in order, one after another
 * (a notification after a cleanup, say); separate calls run side by side, so a hanging hook
 * delays only the actions queued behind it in its own call, and only up to its timeout.
 */
import type { HookAction } from '../model/appliance-definition.js';
import { runCommandHook } from './command-hook.js';
import type { HookContext } from './hook-context.js';
import { postHook } from './post-hook.js';
import type { RunAs } from '../runners/run-as.js';

// Callers of the runner need the context type; they should not have to know where it lives.
export type { HookContext } from './hook-context.js';

export type HookOutcome =
  | { action: HookAction; ok: true; ms: number }
  | { action: HookAction; ok: false; error: string; ms: number };

export class HookRunner {
  constructor(
    /** Called once per action as it ends; it must not throw (a throw is dropped). */
    private readonly onOutcome: (ctx: HookContext, outcome: HookOutcome) => void,
    private readonly defaultTimeoutMs = 10_000,
  ) {}

  /** `runAs`: how the appliance runs, which is how its `run` hooks run. */
  run(actions: HookAction[], ctx: HookContext, runAs: RunAs): void {
    void this.sequence(actions, ctx, runAs);
  }

  private async sequence(actions: HookAction[], ctx: HookContext, runAs: RunAs): Promise<void> {
    for (const action of actions) {
      const started = performance.now();
      const error = await this.perform(action, ctx, runAs, action.timeout_ms ?? this.defaultTimeoutMs);
      const ms = Math.round(performance.now() - started);
      try {
        this.onOutcome(ctx, error === undefined ? { action, ok: true, ms } : { action, ok: false, error, ms });
      } catch {
        // The listener's failure is its own; the remaining hooks still run.
      }
    }
  }

  private perform(action: HookAction, ctx: HookContext, runAs: RunAs, timeoutMs: number): Promise<string | undefined> {
    return 'run' in action ? runCommandHook(action.run, ctx, runAs, timeoutMs) : postHook(action.post, ctx, timeoutMs);
  }
}
