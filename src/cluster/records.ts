/**
 * The values kept in etcd, and how they are read back. Whoever can write to etcd can put
 * anything there, so nothing read is trusted: a value that is not what spew writes is skipped
 * (and said once by the caller), never allowed to throw in the agent or to reach a terminal with
 * control characters in it.
 */
import { APPLIANCE_STATES, type ApplianceState } from '../model/appliance-state.js';
import type { EventRecord, PublishedStatus } from '../model/appliance-status.js';
import type { HostAction, HostReply } from '../model/cluster.js';

/** `members/<host>`: a host that has joined, kept after it goes (to show it unreachable). */
export interface MemberRecord {
  name: string;
  labels: Record<string, string>;
  version: string;
  joined_at: string;
  unreachable_since: string | null;
}

/** `alive/<host>`: a live agent, bound to its lease. */
export interface AliveRecord {
  /** Stays the same across restarts of one agent (kept in its state dir): its own old key is not another agent. */
  instance: string;
  pid: number;
  since: string;
}

type Json = Record<string, unknown>;

function object(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** Printable text of bounded length: no escape sequence, newline or NUL rides along to a table. */
function text(value: unknown, max = 256): value is string {
  // eslint-disable-next-line no-control-regex
  return typeof value === 'string' && value.length <= max && !/[\u0000-\u001f\u007f-\u009f]/.test(value);
}

function textOrNull(value: unknown, max?: number): value is string | null {
  return value === null || text(value, max);
}

function count(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function labels(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return entries.length <= 64 && entries.every(([k, v]) => text(k, 63) && text(v, 63));
}

export function readMember(value: string): MemberRecord | undefined {
  const o = object(value);
  if (!o || !text(o.name, 63) || !labels(o.labels) || !text(o.version, 64) || !text(o.joined_at, 40) || !textOrNull(o.unreachable_since, 40)) return undefined;
  return { name: o.name, labels: o.labels, version: o.version, joined_at: o.joined_at, unreachable_since: o.unreachable_since };
}

export function readAlive(value: string): AliveRecord | undefined {
  const o = object(value);
  if (!o || !text(o.instance, 64) || !count(o.pid) || !text(o.since, 40)) return undefined;
  return { instance: o.instance, pid: o.pid, since: o.since };
}

const STATES: ReadonlySet<unknown> = new Set(APPLIANCE_STATES);

function restartLimit(value: unknown): value is PublishedStatus['restart_limit'] {
  if (value === null) return true;
  if (typeof value !== 'object' || Array.isArray(value)) return false;
  const l = value as Json;
  return count(l.used) && count(l.limit) && (l.window_ms === null || count(l.window_ms));
}

export function readStatus(value: string): PublishedStatus | undefined {
  const o = object(value);
  return o && statusIn(o);
}

function statusIn(o: Json): PublishedStatus | undefined {
  const valid = text(o.name, 128) && text(o.ref, 64) && text(o.type, 32) && STATES.has(o.state) && text(o.reason, 1024)
    && (o.desired === 'running' || o.desired === 'stopped') && (o.pid === null || count(o.pid)) && count(o.restarts)
    && textOrNull(o.started_at, 40) && textOrNull(o.last_exit, 256) && restartLimit(o.restart_limit)
    && textOrNull(o.image, 512) && count(o.version) && text(o.published_at, 40);
  if (!valid) return undefined;
  return {
    name: o.name as string,
    ref: o.ref as string,
    type: o.type as string,
    state: o.state as ApplianceState,
    reason: o.reason as string,
    desired: o.desired as PublishedStatus['desired'],
    pid: o.pid as number | null,
    restarts: o.restarts as number,
    started_at: o.started_at as string | null,
    last_exit: o.last_exit as string | null,
    restart_limit: o.restart_limit as PublishedStatus['restart_limit'],
    image: o.image as string | null,
    version: o.version as number,
    published_at: o.published_at as string,
  };
}

/** `requests/<host>/<id>`: what `from` asks of the host. */
export interface RequestRecord {
  from: string;
  action: HostAction;
}

/** An error's words from another host: bounded, and no control character but the newline. */
function message(value: unknown): value is string {
  // eslint-disable-next-line no-control-regex
  return typeof value === 'string' && value.length <= 4096 && !/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(value);
}

function actionIn(o: Json): HostAction | undefined {
  switch (o.action) {
    case 'start':
    case 'restart':
    case 'remove':
      return text(o.id, 128) ? { action: o.action, id: o.id } : undefined;
    case 'stop':
      return text(o.id, 128) && typeof o.kill === 'boolean' ? { action: 'stop', id: o.id, kill: o.kill } : undefined;
    case 'create': {
      const item = o.item;
      const isObject = typeof item === 'object' && item !== null && !Array.isArray(item);
      return text(o.spec, 1024) && isObject && typeof o.start === 'boolean'
        ? { action: 'create', spec: o.spec, item: item as Json, start: o.start }
        : undefined;
    }
    default:
      return undefined;
  }
}

/** A host name's shape, as `[cluster] name` has it: the asker's name becomes a key segment. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

export function readRequest(value: string): RequestRecord | undefined {
  const o = object(value);
  if (!o || typeof o.from !== 'string' || !HOST_NAME.test(o.from)) return undefined;
  const action = typeof o.action === 'object' && o.action !== null && !Array.isArray(o.action) ? actionIn(o.action as Json) : undefined;
  return action && { from: o.from, action };
}

export function readReply(value: string): HostReply | undefined {
  const o = object(value);
  if (!o) return undefined;
  if (typeof o.done === 'object' && o.done !== null && !Array.isArray(o.done)) {
    const done = statusIn(o.done as Json);
    return done && { done };
  }
  const failed = o.failed as Json | undefined;
  if (typeof failed !== 'object' || failed === null || Array.isArray(failed)) return undefined;
  return text(failed.code, 64) && message(failed.message) ? { failed: { code: failed.code, message: failed.message } } : undefined;
}

/** `events/<host>/<slot>`: one event of the host's ring; `seq` counts the host's events. */
export interface EventSlot {
  seq: number;
  record: EventRecord;
}

/** An event's facts: short printable text, numbers, flags, and one level of objects or lists of them. */
function fact(value: unknown, depth = 0): boolean {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return true;
  if (typeof value === 'string') return text(value, 512);
  if (depth > 0 || typeof value !== 'object') return false;
  const inner = Array.isArray(value) ? value : Object.entries(value).map(([k, v]) => (text(k, 32) ? v : undefined));
  return inner.length <= 16 && inner.every((v) => v !== undefined && fact(v, depth + 1));
}

export function readEvent(value: string): EventSlot | undefined {
  const o = object(value);
  if (!o || !count(o.seq) || !text(o.time, 40) || !text(o.ref, 64) || !text(o.name, 128)) return undefined;
  if (!(STATES.has(o.state) || o.state === 'removed')) return undefined;
  const event = o.event;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const facts = Object.entries(event);
  if (!text((event as Json).kind, 32) || facts.length > 8 || !facts.every(([k, v]) => text(k, 32) && fact(v))) return undefined;
  return {
    seq: o.seq,
    record: { time: o.time, ref: o.ref, name: o.name, event: event as EventRecord['event'], state: o.state as EventRecord['state'] },
  };
}

/** `names/<name>` and `refs/<ref>`: both say which host's appliance holds them, and which it is. */
export interface HeldNameRecord {
  host: string;
  name: string;
  ref: string;
}

export function readHeldName(value: string): HeldNameRecord | undefined {
  const o = object(value);
  if (!o || !text(o.host, 128) || !text(o.name, 128) || !text(o.ref, 64)) return undefined;
  return { host: o.host, name: o.name, ref: o.ref };
}
