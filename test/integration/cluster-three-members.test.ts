/**
 * Agents on a real etcd cluster of three members: one member killed and started again while
 * the agents work, and every event of one host still reaches the follower on another.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/model/appliance-status.js';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { EtcdMembers } from '../support/etcd-members.js';
import { waitFor } from '../support/wait-for.js';

type Told = EventRecord & { host: string };

describe('a cluster on three etcd members', () => {
  let etcd: EtcdMembers;
  let agents: AgentHarness[] = [];

  beforeAll(async () => {
    etcd = await EtcdMembers.start(3);
  }, 30_000);
  afterAll(async () => etcd?.stop());
  afterEach(async () => {
    await Promise.all(agents.map((a) => a.cleanup()));
    agents = [];
  });

  function agent(name: string, appliances: Record<string, string>): AgentHarness {
    const h = new AgentHarness({
      appliances,
      extraConfig: ['[cluster]', `etcd = ${etcd.tomlEndpoints}`, `name = "${name}"`, `cluster = "three${process.pid}"`, 'lease_ttl = "3s"'].join('\n'),
    });
    agents.push(h);
    return h;
  }

  const parse = (text: string): Told[] => text.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Told);
  const key = (e: EventRecord): string => `${e.time} ${e.name} ${e.event.kind}`;

  it('one member killed and restarted: no event missed, the hosts stay up, nothing stopped', async () => {
    const alpha = agent('alpha', { 'web.toml': '[web]\ncommand = "sleep 1000"\nrestart = "always"\n' });
    const beta = agent('beta', {});
    await Promise.all([alpha.start(), beta.start()]);
    const web = await alpha.running('web');
    await waitFor('both joined', async () => {
      const out = await beta.cli('hosts', '--json');
      return out.code === 0 && (JSON.parse(out.stdout) as { hosts: { state: string }[] }).hosts.filter((h) => h.state === 'up').length === 2;
    }, SLOW);

    const follow = beta.spawnCli('events', '-f', '-t', '0', '--json');
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const since = new Date().toISOString();
      let pid = web.pid!;
      for (const member of [0, 1]) {
        await etcd.kill(member);
        // Transitions while a member is down, then after it is back.
        process.kill(pid, 'SIGKILL');
        pid = (await alpha.until('web', 'to run again', (s) => s.state === 'running' && s.pid !== pid)).pid!;
        expect((await alpha.cli('restart', 'web')).code).toBe(0);
        pid = (await alpha.running('web')).pid!;
        await etcd.restart(member);
        process.kill(pid, 'SIGKILL');
        pid = (await alpha.until('web', 'to run again', (s) => s.state === 'running' && s.pid !== pid)).pid!;
      }
      const mine = parse((await alpha.cli('events', '--local', '--json', '-t', '1000')).stdout).filter((e) => e.time >= since);
      expect(mine.length).toBeGreaterThanOrEqual(16);
      const told = await follow.waitForOutput('every event of alpha at beta', (out) => {
        const seen = new Set(parse(out).filter((e) => e.host === 'alpha').map(key));
        return mine.every((e) => seen.has(key(e)));
      });
      // Once each, in alpha's order.
      expect(parse(told).filter((e) => e.host === 'alpha' && e.time >= since).map(key)).toEqual(mine.map(key));
    } finally {
      await follow.end();
    }
    const hosts = JSON.parse((await beta.cli('hosts', '--json')).stdout) as { hosts: { name: string; state: string }[] };
    expect(hosts.hosts.map((h) => [h.name, h.state])).toEqual([['alpha', 'up'], ['beta', 'up']]);
    expect((await alpha.status('web')).restarts).toBe(4);
  }, 120_000);
});
