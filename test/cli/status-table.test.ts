import { describe, expect, it } from 'vitest';
import type { ApplianceStatus } from '../../src/model/appliance-status.js';
import { renderClusterStatusTable, renderStatusTable } from '../../src/cli/status-table.js';
import type { HostedStatus } from '../../src/model/cluster.js';
import { painter } from '../../src/cli/style.js';

function appliance(extra: Partial<ApplianceStatus>): ApplianceStatus {
  return {
    name: 'web',
    ref: 'a1b2c3',
    type: 'shell',
    state: 'running',
    reason: 'started',
    desired: 'running',
    pid: 4242,
    restarts: 0,
    starts: 1,
    started_at: '2024-01-01T00:00:00.000Z',
    uptime_ms: 184_000,
    last_exit: null,
    restart_limit: null,
    next_start_in_ms: null,
    watchers: [],
    command: 'sleep 1000',
    file: null,
    image: null,
    version: 1,
    running_version: 1,
    ...extra,
  };
}

const list = [
  appliance({}),
  appliance({
    name: 'database-primary',
    ref: 'ff00',
    reason: 'exit 1',
    pid: null,
    restarts: 12,
    uptime_ms: null,
    last_exit: 'exit 1',
    restart_limit: { used: 3, limit: 5, window_ms: 60_000 },
    state: 'waiting',
    next_start_in_ms: 12_000,
  }),
];

describe('renderStatusTable', () => {
  it('aligns every column (numbers to the right), with human durations', () => {
    const text = renderStatusTable(list, { paint: painter(false) });
    expect(text.split('\n')).toEqual([
      'NAME              REF     TYPE   STATE    VER   PID  UPTIME  RESTARTS  LIMIT         LAST EXIT  REASON',
      'web               a1b2c3  shell  running    1  4242  3m 4s          0  -             -          started',
      'database-primary  ff00    shell  waiting    1     -  -             12  3 of 5 in 1m  exit 1     next try in 12s, 3 of 5; exit 1',
    ]);
  });

  it('marks an appliance whose process runs an older version than its definition, and says what to do', () => {
    const text = renderStatusTable([appliance({ version: 3, running_version: 2 })], { paint: painter(false) });
    expect(text.split('\n')[1]).toContain('running   2*  4242');
    expect(text).toContain('* runs an older version than its definition');
  });

  it('writes no escape codes when not colouring', () => {
    expect(renderStatusTable(list, { paint: painter(false) })).not.toContain('\u001b');
  });

  it('colours the state, and only the state, keeping the columns aligned', () => {
    const plain = renderStatusTable(list, { paint: painter(false) }).split('\n');
    const coloured = renderStatusTable(list, { paint: painter(true) }).split('\n');
    expect(coloured[1]).toContain('\u001b[32mrunning\u001b[0m');
    expect(coloured[2]).toContain('\u001b[33mwaiting\u001b[0m');
    // eslint-disable-next-line no-control-regex
    expect(coloured.map((line) => line.replace(/\u001b\[\d+m/g, ''))).toEqual(plain);
  });

  it('leaves REASON out when the terminal is too narrow for it', () => {
    const text = renderStatusTable(list, { paint: painter(false), width: 80 });
    expect(text.split('\n')[0]).toBe('NAME              REF     TYPE   STATE    VER   PID  UPTIME  RESTARTS  LIMIT         LAST EXIT');
    expect(renderStatusTable(list, { paint: painter(false), width: 200 })).toContain('REASON');
  });

  it('prints the headers alone for an agent with no appliances', () => {
    expect(renderStatusTable([], { paint: painter(false) })).toBe(
      'NAME  REF  TYPE  STATE  VER  PID  UPTIME  RESTARTS  LIMIT  LAST EXIT  REASON',
    );
  });
});

describe('renderClusterStatusTable', () => {
  const now = Date.parse('2024-01-01T00:10:00.000Z');
  function hosted(extra: Partial<HostedStatus>): HostedStatus {
    const { name, ref, type, state, reason, desired, pid, restarts, started_at, last_exit, restart_limit, image, version } = appliance({});
    return { name, ref, type, state, reason, desired, pid, restarts, started_at, last_exit, restart_limit, image, version, published_at: '2024-01-01T00:08:00.000Z', host: 'beta', host_state: 'up', ...extra };
  }

  it('adds a HOST column: this host\'s live rows first, then the others\' with an uptime from their start', () => {
    const text = renderClusterStatusTable('alpha', [appliance({})], [hosted({ name: 'db', ref: 'd0' })], { paint: painter(false), now });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^HOST\s+NAME\s+REF\s+TYPE\s+STATE/);
    expect(lines[1]).toMatch(/^alpha\s+web\s+a1b2c3\s+shell\s+running\s+1\s+4242\s+3m 4s\s/);
    expect(lines[2]).toMatch(/^beta\s+db\s+d0\s+shell\s+running\s+1\s+4242\s+10m\s/);
  });

  it('greys an unreachable host\'s rows, marks the state as unsure and says how old the word is', () => {
    const text = renderClusterStatusTable('alpha', [], [hosted({ host_state: 'unreachable' })], { paint: painter(true), now });
    const row = text.split('\n')[1]!;
    expect(row).toContain('\u001b[2mrunning?\u001b[0m');
    expect(row).not.toContain('\u001b[32m');
    expect(row).toContain('host unreachable: last heard of 2m ago; started');
    // No uptime is claimed for a process nobody can see.
    expect(row.replaceAll('\u001b[2m', '').replaceAll('\u001b[0m', '')).toMatch(/running\?\s+1\s+4242\s+-\s/);
  });
});
