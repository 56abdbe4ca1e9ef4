import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadInstanceConfig } from '../../src/config/instance-config.js';

describe('the [cluster] table of the instance config', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'spew-cluster-config-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  async function load(text: string): Promise<Awaited<ReturnType<typeof loadInstanceConfig>>> {
    const file = path.join(dir, 'spew.toml');
    await writeFile(file, text);
    return loadInstanceConfig({ file, env: { HOME: '/home/ada' }, uid: 1000 });
  }

  async function problemsOf(text: string): Promise<string[]> {
    const error = await load(text).catch((err: unknown) => err);
    if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
    const file = path.join(dir, 'spew.toml');
    return error.message.split('\n').map((line) => line.replace(`${file}:`, ''));
  }

  it('is absent without the table: a single host', async () => {
    expect((await load('log_level = "warn"\n')).cluster).toBeUndefined();
  });

  it('reads endpoints, name, labels, cluster, lease_ttl and ack_timeout, with defaults for what is left out', async () => {
    const config = await load([
      '[cluster]',
      'etcd = ["http://127.0.0.1:2379", "http://10.0.0.2:2379/"]',
      'name = "web-1"',
      'labels = { rack = "a", role = "web" }',
      'cluster = "prod"',
      'lease_ttl = "15s"',
      'ack_timeout = "1m"',
    ].join('\n'));
    expect(config.cluster).toEqual({
      etcd: ['http://127.0.0.1:2379', 'http://10.0.0.2:2379'],
      name: 'web-1',
      labels: { rack: 'a', role: 'web' },
      cluster: 'prod',
      lease_ttl_s: 15,
      ack_timeout_ms: 60_000,
    });
    const plain = await load('[cluster]\netcd = "http://127.0.0.1:2379"\n');
    expect(plain.cluster).toMatchObject({ etcd: ['http://127.0.0.1:2379'], labels: {}, cluster: 'default', lease_ttl_s: 10, ack_timeout_ms: 30_000 });
    // The host name, or its first label when the whole one cannot be a key segment.
    expect([os.hostname(), os.hostname().split('.')[0]]).toContain(plain.cluster?.name);
  });

  it('resolves TLS files against the config file\'s directory, and needs them for https', async () => {
    const config = await load('[cluster]\netcd = ["https://etcd:2379"]\nca = "tls/ca.pem"\ncert = "tls/me.pem"\nkey = "/etc/spew/me.key"\n');
    expect(config.cluster?.tls).toEqual({ ca: path.join(dir, 'tls/ca.pem'), cert: path.join(dir, 'tls/me.pem'), key: '/etc/spew/me.key' });
    expect(await problemsOf('[cluster]\netcd = ["https://etcd:2379"]\n')).toEqual([
      '2:1: cluster.etcd: https endpoints need ca (and cert and key when etcd asks for client certificates)',
    ]);
    expect(await problemsOf('[cluster]\netcd = ["https://a:2379", "http://b:2379"]\nca = "ca.pem"\n')).toEqual([
      '2:1: cluster.etcd: with ca set, every endpoint must be https:// (a plain http one would send the traffic in the clear)',
    ]);
    expect(await problemsOf('[cluster]\netcd = ["https://a:2379"]\nca = "ca.pem"\ncert = "me.pem"\n')).toEqual([
      '1:2: cluster: cert and key go together: give both or neither',
    ]);
  });

  it('names the file, line and key of each bad value', async () => {
    expect(await problemsOf([
      '[cluster]',
      'etcd = ["127.0.0.1:2379", "http://a", "ftp://b:1"]',
      'name = "bad name"',
      'labels = { "a b" = "x", rack = "has space" }',
      'lease_ttl = "1s"',
      'cluster = "a/b"',
      'ttl = 5',
      'ack_timeout = "500ms"',
    ].join('\n'))).toEqual([
      '2:9: cluster.etcd[0]: "127.0.0.1:2379" is not a URL; write it like "http://127.0.0.1:2379"',
      '2:27: cluster.etcd[1]: "http://a": give the port (etcd\'s client port is usually 2379)',
      '2:39: cluster.etcd[2]: "ftp://b:1": etcd is reached over http:// or https://',
      '3:1: cluster.name: expected a host name (letters, digits, \'.\' and \'-\', at most 63, starting with a letter or digit), got a string',
      '4:12: cluster.labels."a b": a label name is letters, digits, \'_\', \'.\' and \'-\', at most 63',
      '4:25: cluster.labels.rack: expected a label value (a string of at most 63 characters, no spaces, \',\' or \'=\'), got a string',
      '5:1: cluster.lease_ttl: must be at least 2s',
      '6:1: cluster.cluster: expected a cluster name (letters, digits, \'_\', \'.\' and \'-\', at most 63), got a string',
      '7:1: cluster.ttl: unknown key',
      '8:1: cluster.ack_timeout: must be at least 1s',
    ]);
  });

  it('wants the endpoints, and a table', async () => {
    expect(await problemsOf('[cluster]\nname = "a"\n')).toEqual([expect.stringMatching(/^1:2: cluster: missing key "etcd"/)]);
    expect(await problemsOf('cluster = "http://127.0.0.1:2379"\n')).toEqual([expect.stringMatching(/^1:1: cluster: expected a table with etcd, name/)]);
    expect(await problemsOf('[cluster]\netcd = []\n')).toEqual([expect.stringMatching(/^2:1: cluster\.etcd: expected an etcd URL or a non-empty array/)]);
    expect(await problemsOf('[cluster]\netcd = "http://a:1"\nlease_ttl = "2.5s"\n')).toEqual([expect.stringMatching(/^3:\d+: cluster\.lease_ttl: etcd leases are whole seconds/)]);
  });
});
