/** What a hook is told about the event that fired it. */
export interface HookContext {
  appliance: string;
  ref: string;
  event: string;
  reason: string;
  state: string;
  /** Event-specific facts; `post` hooks send them beside the fields above. */
  payload: Record<string, unknown>;
}
