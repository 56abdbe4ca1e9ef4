/**
 * The text of STATE_DIR/state.json, read back with a check of its shape: a file that was cut
 * short, emptied, overwritten or edited by hand is named with what is wrong in it and where,
 * never handed on to code that would trip over it later.
 */
import { APPLIANCE_TYPES } from '../model/appliance-type.js';
import type { PersistedAppliance } from '../model/persisted-appliance.js';

export const STATE_FORMAT = 1;

type Check = (value: unknown) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const shown = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value)?.slice(0, 40) ?? String(value));

const string: Check = (v) => (typeof v === 'string' ? undefined : `expected a string, got ${shown(v)}`);
const count: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : `expected a whole number, got ${shown(v)}`);
const version: Check = (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : `expected a version number, got ${shown(v)}`);
const orNull = (check: Check): Check => (v) => (v === null ? undefined : check(v));
const oneOf = (...choices: readonly string[]): Check => (v) =>
  choices.includes(v as string) ? undefined : `expected one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${shown(v)}`;
const array: Check = (v) => (Array.isArray(v) ? undefined : `expected an array, got ${shown(v)}`);
const object: Check = (v) => (isObject(v) ? undefined : `expected an object, got ${shown(v)}`);
const command: Check = (v) =>
  typeof v === 'string' || (Array.isArray(v) && v.every((w) => typeof w === 'string')) ? undefined : `expected a command, got ${shown(v)}`;
const strings: Check = (v) =>
  isObject(v) && Object.values(v).every((s) => typeof s === 'string') ? undefined : `expected a table of strings, got ${shown(v)}`;
const ref: Check = (v) => (typeof v === 'string' && /^[0-9a-f]{12}$/.test(v) ? undefined : `expected a ref of 12 hex digits, got ${shown(v)}`);

/** What every definition must hold for the agent to run it; the rest was checked when it was made. */
const DEFINITION: Record<string, Check> = {
  name: string, ref, type: oneOf(...APPLIANCE_TYPES), command, env: strings, options: strings, runneropts: object,
  restart: object, watchers: array, monitors: array, depends: array, hooks: object, stop_signal: string,
  stop_timeout_ms: count, depends_timeout_ms: count,
};

const ENTRY: Record<string, Check> = {
  desired: oneOf('running', 'stopped'), starts: count, restarts: count, last_exit: orNull(string), version,
  running_version: orNull(version),
};

const PENDING: Check = (v) => {
  if (!isObject(v)) return `expected an object, got ${shown(v)}`;
  if (v.kind === 'remove') return undefined;
  if (v.kind === 'restart') {
    if (typeof v.asked_at !== 'string' || Number.isNaN(Date.parse(v.asked_at))) return `asked_at: expected a time, got ${shown(v.asked_at)}`;
    return v.version === undefined ? undefined : version(v.version);
  }
  return `kind: expected "restart" or "remove", got ${shown(v.kind)}`;
};

function checkFields(value: Record<string, unknown>, checks: Record<string, Check>, at: string): string | undefined {
  for (const [key, check] of Object.entries(checks)) {
    const problem = check(value[key]);
    if (problem !== undefined) return `${at}${key}: ${problem}`;
  }
  return undefined;
}

function entryProblem(entry: unknown, at: string): string | undefined {
  if (!isObject(entry)) return `${at}: expected an object, got ${shown(entry)}`;
  if (!isObject(entry.definition)) return `${at}.definition: expected an object, got ${shown(entry.definition)}`;
  const problem = checkFields(entry.definition, DEFINITION, `${at}.definition.`) ?? checkFields(entry, ENTRY, `${at}.`);
  if (problem !== undefined) return problem;
  if (entry.pending !== undefined) {
    const pending = PENDING(entry.pending);
    if (pending !== undefined) return `${at}.pending: ${pending}`;
  }
  if (entry.ended !== undefined && (!isObject(entry.ended) || oneOf('stopped', 'crashed', 'failed')(entry.ended.state) !== undefined || typeof entry.ended.reason !== 'string')) {
    return `${at}.ended: expected {state, reason}, got ${shown(entry.ended)}`;
  }
  return undefined;
}

/** The appliances in a state file's text, or what is wrong with it (one problem, the first). */
export function parseStateFile(text: string): { appliances: PersistedAppliance[] } | { problem: string } {
  if (text.trim() === '') return { problem: 'it is empty' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { problem: `it is not valid JSON (${(err as Error).message})` };
  }
  if (!isObject(parsed)) return { problem: `expected an object, got ${shown(parsed)}` };
  if (parsed.format !== STATE_FORMAT) return { problem: `unknown state format ${shown(parsed.format)} (this agent reads format ${STATE_FORMAT})` };
  if (!Array.isArray(parsed.appliances)) return { problem: `appliances: expected an array, got ${shown(parsed.appliances)}` };
  const seen = new Map<string, number>();
  for (const [i, entry] of parsed.appliances.entries()) {
    const problem = entryProblem(entry, `appliances[${i}]`);
    if (problem !== undefined) return { problem };
    for (const key of [`ref ${entry.definition.ref}`, `name ${entry.definition.name}`]) {
      const before = seen.get(key);
      if (before !== undefined) return { problem: `appliances[${i}]: ${key} is appliances[${before}]'s already` };
      seen.set(key, i);
    }
  }
  return { appliances: parsed.appliances as PersistedAppliance[] };
}
