/**
 * The instance config's optional `[cluster]` table: which etcd to join, under what name and
 * labels. Without it spew is a single host and never loads the etcd client.
 */
import os from 'node:os';
import path from 'node:path';
import { parseDuration } from '../common/duration.js';
import { errorMessage } from '../common/errors.js';
import type { ConfigProblem } from './config-error.js';
import { describeValue } from './describe-value.js';
import { isTable } from './is-table.js';
import type { KeyPathParts } from './toml-document.js';
import { unknownKeyMessage } from './unknown-key-message.js';

export interface ClusterSettings {
  /** etcd client URLs (http:// or https://), tried in turn. */
  etcd: string[];
  /** This host's name in the cluster: unique among live agents. */
  name: string;
  labels: Record<string, string>;
  /** The key prefix's own part, so several clusters can share one etcd. */
  cluster: string;
  lease_ttl_s: number;
  /** How long a command on another host's appliance waits for that host's answer. */
  ack_timeout_ms: number;
  /** PEM files for https endpoints: the CA, and this agent's certificate and key (mutual TLS). */
  tls?: { ca: string; cert?: string; key?: string };
}

const CLUSTER_KEYS = ['etcd', 'name', 'labels', 'cluster', 'lease_ttl', 'ack_timeout', 'ca', 'cert', 'key'];
/** A host name's shape (RFC 1123 label characters and dots): it is a key segment and a column. */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const DEFAULT_LEASE_TTL_S = 10;
/** Room for a stop's timeout (10 s by default) and a container's start. */
const DEFAULT_ACK_TIMEOUT_MS = 30_000;
/** Below this, one missed keepalive (every ttl/3) on a loaded machine makes a host look lost. */
const MIN_LEASE_TTL_S = 2;

type Problem = (keyPath: KeyPathParts, message: string) => ConfigProblem;

export function readClusterSettings(value: unknown, at: KeyPathParts, baseDir: string, problems: ConfigProblem[], problemAt: Problem): ClusterSettings | undefined {
  if (!isTable(value)) {
    problems.push(problemAt(at, `expected a table with ${CLUSTER_KEYS.join(', ')}, got ${describeValue(value)}`));
    return undefined;
  }
  const before = problems.length;
  const settings: Partial<ClusterSettings> = { labels: {}, cluster: 'default', lease_ttl_s: DEFAULT_LEASE_TTL_S, ack_timeout_ms: DEFAULT_ACK_TIMEOUT_MS };
  const files: { ca?: string; cert?: string; key?: string } = {};
  for (const [key, v] of Object.entries(value)) {
    const keyAt = [...at, key];
    try {
      if (key === 'etcd') settings.etcd = endpoints(v, keyAt, problems, problemAt);
      else if (key === 'name') settings.name = hostName(v);
      else if (key === 'labels') settings.labels = labels(v, keyAt, problems, problemAt);
      else if (key === 'cluster') settings.cluster = clusterName(v);
      else if (key === 'lease_ttl') settings.lease_ttl_s = leaseTtl(v);
      else if (key === 'ack_timeout') settings.ack_timeout_ms = ackTimeout(v);
      else if (key === 'ca' || key === 'cert' || key === 'key') files[key] = path.resolve(baseDir, pemFile(v));
      else problems.push(problemAt(keyAt, unknownKeyMessage(key, CLUSTER_KEYS)));
    } catch (err) {
      problems.push(problemAt(keyAt, errorMessage(err)));
    }
  }
  if (settings.etcd === undefined && !('etcd' in value)) problems.push(problemAt(at, 'missing key "etcd": the etcd endpoints to join, e.g. ["http://127.0.0.1:2379"]'));
  if ((files.cert === undefined) !== (files.key === undefined)) problems.push(problemAt(at, 'cert and key go together: give both or neither'));
  if ((files.cert !== undefined || files.key !== undefined) && files.ca === undefined) problems.push(problemAt(at, 'cert and key need ca: the authority that signed etcd\'s certificate'));
  const https = settings.etcd?.some((url) => url.startsWith('https:')) ?? false;
  if (https && files.ca === undefined) problems.push(problemAt([...at, 'etcd'], 'https endpoints need ca (and cert and key when etcd asks for client certificates)'));
  if (files.ca !== undefined && settings.etcd?.some((url) => url.startsWith('http:'))) {
    problems.push(problemAt([...at, 'etcd'], 'with ca set, every endpoint must be https:// (a plain http one would send the traffic in the clear)'));
  }
  if (settings.name === undefined) {
    try {
      settings.name = defaultHostName();
    } catch (err) {
      problems.push(problemAt(at, errorMessage(err)));
    }
  }
  if (problems.length > before) return undefined;
  return {
    etcd: settings.etcd ?? [],
    name: settings.name ?? '',
    labels: settings.labels ?? {},
    cluster: settings.cluster ?? 'default',
    lease_ttl_s: settings.lease_ttl_s ?? DEFAULT_LEASE_TTL_S,
    ack_timeout_ms: settings.ack_timeout_ms ?? DEFAULT_ACK_TIMEOUT_MS,
    ...(files.ca !== undefined ? { tls: { ca: files.ca, cert: files.cert, key: files.key } } : {}),
  };
}

/** The host name, as `name` defaults to; its first label when it is too long or odd for a key. */
function defaultHostName(): string {
  const full = os.hostname();
  if (HOST_NAME.test(full)) return full;
  const first = full.split('.')[0] ?? '';
  if (HOST_NAME.test(first)) return first;
  throw new Error(`the host name ${JSON.stringify(full)} cannot be a cluster name: set [cluster] name`);
}

function endpoints(value: unknown, at: KeyPathParts, problems: ConfigProblem[], problemAt: Problem): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) throw new Error(`expected an etcd URL or a non-empty array of them, got ${describeValue(value)}`);
  const urls: string[] = [];
  list.forEach((item, i) => {
    try {
      urls.push(endpoint(item));
    } catch (err) {
      problems.push(problemAt(typeof value === 'string' ? at : [...at, i], errorMessage(err)));
    }
  });
  return urls;
}

function endpoint(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`expected a URL like "http://127.0.0.1:2379", got ${describeValue(value)}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${JSON.stringify(value)} is not a URL; write it like "http://127.0.0.1:2379"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${JSON.stringify(value)}: etcd is reached over http:// or https://`);
  if (url.port === '') throw new Error(`${JSON.stringify(value)}: give the port (etcd's client port is usually 2379)`);
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') throw new Error(`${JSON.stringify(value)}: only scheme, host and port are used`);
  return `${url.protocol}//${url.host}`;
}

function hostName(value: unknown): string {
  if (typeof value !== 'string' || !HOST_NAME.test(value)) {
    throw new Error(`expected a host name (letters, digits, '.' and '-', at most 63, starting with a letter or digit), got ${describeValue(value)}`);
  }
  return value;
}

function clusterName(value: unknown): string {
  if (typeof value !== 'string' || !LABEL_KEY.test(value)) {
    throw new Error(`expected a cluster name (letters, digits, '_', '.' and '-', at most 63), got ${describeValue(value)}`);
  }
  return value;
}

function labels(value: unknown, at: KeyPathParts, problems: ConfigProblem[], problemAt: Problem): Record<string, string> {
  if (!isTable(value)) throw new Error(`expected a table like { rack = "a" }, got ${describeValue(value)}`);
  const found: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!LABEL_KEY.test(key)) problems.push(problemAt([...at, key], 'a label name is letters, digits, \'_\', \'.\' and \'-\', at most 63'));
    else if (typeof v !== 'string' || v.length > 63 || /[\s,=]/.test(v)) problems.push(problemAt([...at, key], `expected a label value (a string of at most 63 characters, no spaces, ',' or '='), got ${describeValue(v)}`));
    else found[key] = v;
  }
  return found;
}

function duration(value: unknown, example: string): number {
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`expected a duration like "${example}", got ${describeValue(value)}`);
  return parseDuration(value);
}

function ackTimeout(value: unknown): number {
  const ms = duration(value, '30s');
  if (ms < 1000) throw new Error('must be at least 1s');
  return ms;
}

function leaseTtl(value: unknown): number {
  const ms = duration(value, '10s');
  if (ms % 1000 !== 0) throw new Error('etcd leases are whole seconds');
  if (ms < MIN_LEASE_TTL_S * 1000) throw new Error(`must be at least ${MIN_LEASE_TTL_S}s`);
  return ms / 1000;
}

function pemFile(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new Error(`expected the path of a PEM file, got ${describeValue(value)}`);
  return value;
}
