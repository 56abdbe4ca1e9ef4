/**
 * A `post` hook: the event as JSON, POSTed to a URL (a chat webhook, an alerting endpoint).
 * Payload fields come last, as the event's own facts may refine the common ones.
 */
import { formatDuration } from '../common/duration.js';
import type { HookContext } from './hook-context.js';

/** Resolves to undefined on a 2xx answer, else to why it failed. Never rejects. */
export async function postHook(url: string, ctx: HookContext, timeoutMs: number): Promise<string | undefined> {
  const { appliance, ref, event, reason, state, payload } = ctx;
  const body = JSON.stringify({ appliance, ref, event, reason, state, time: new Date().toISOString(), ...payload });
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The answer's body is of no interest; cancelling frees the connection.
    await res.body?.cancel();
    return res.ok ? undefined : `status ${res.status}`;
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return `timed out after ${formatDuration(timeoutMs)}`;
    // fetch says only "fetch failed"; the cause names what went wrong (refused, DNS, TLS).
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : (err as Error).message;
  }
}
