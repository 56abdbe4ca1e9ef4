import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/watchers/parse-address.js';

describe('watcher addresses', () => {
  it('splits host names, IPv4 and IPv6 (bracketed or bare) from the port', () => {
    expect(parseAddress('db.local:5432')).toEqual({ host: 'db.local', port: 5432 });
    expect(parseAddress('127.0.0.1:80')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(parseAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseAddress('::1:8080')).toEqual({ host: '::1', port: 8080 });
  });

  it('refuses an address without a host or a valid port', () => {
    for (const bad of ['host', ':80', 'host:', 'host:0', 'host:65536', 'host:8o', '[]:80']) {
      expect(parseAddress(bad), bad).toBeUndefined();
    }
  });
});
