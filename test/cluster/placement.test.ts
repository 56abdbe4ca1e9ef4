import { describe, expect, it } from 'vitest';
import { choosePlacement } from '../../src/cluster/placement.js';
import type { ClusterHost } from '../../src/model/cluster.js';

function host(name: string, labels: Record<string, string>, total: number, state: ClusterHost['state'] = 'up'): ClusterHost {
  return { name, state, unreachable_since: state === 'up' ? null : '2026-12-07T00:00:00Z', labels, version: '0.1.0', joined_at: '2026-12-07T00:00:00Z', appliances: { total, running: total } };
}

const hosts = [host('gamma', { rack: 'a' }, 1), host('alpha', { rack: 'a', role: 'web' }, 1), host('beta', { rack: 'b' }, 0), host('delta', { rack: 'a' }, 0, 'unreachable')];

describe('choosePlacement', () => {
  it('takes the live host with the fewest appliances among those with every label, ties by name', () => {
    expect(choosePlacement(hosts, { constraint: {} })).toBe('beta');
    expect(choosePlacement(hosts, { constraint: { rack: 'a' } })).toBe('alpha');
    expect(choosePlacement(hosts, { constraint: { rack: 'a', role: 'web' } })).toBe('alpha');
  });

  it('takes the host named, if it is up and has the labels', () => {
    expect(choosePlacement(hosts, { host: 'gamma', constraint: {} })).toBe('gamma');
    expect(() => choosePlacement(hosts, { host: 'delta', constraint: {} })).toThrow(/host delta is unreachable/);
    expect(() => choosePlacement(hosts, { host: 'omega', constraint: {} })).toThrow('no host named omega in the cluster');
    expect(() => choosePlacement(hosts, { host: 'beta', constraint: { rack: 'a' } })).toThrow('host beta does not have the labels rack=a');
  });

  it('says which labels no live host has', () => {
    expect(() => choosePlacement(hosts, { constraint: { rack: 'c' } })).toThrow('no live host has the labels rack=c');
    expect(() => choosePlacement([host('delta', { rack: 'a' }, 0, 'unreachable')], { constraint: { rack: 'a' } })).toThrow('no live host has the labels rack=a');
  });
});
