/**
 * Several real agents (own state dir, socket and name each) on a real etcd member, started on
 * loopback. Each test has a cluster prefix of its own, so the tests share one etcd.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HostsAnswer } from '../../src/api/wire.js';
import type { ApplianceStatus } from '../../src/model/appliance-status.js';
import type { HostedStatus } from '../../src/model/cluster.js';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { EtcdMembers } from '../support/etcd-members.js';
import { isAlive } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

const TTL_S = 3;
/** Expiry is checked by etcd every 500 ms, and the observer's write follows the watch event. */
const UNREACHABLE_MARGIN_MS = 3_000;

type Listed = (ApplianceStatus | HostedStatus) & { host: string; host_state: string };

describe('a cluster of real agents on a real etcd', () => {
  let etcd: EtcdMembers;
  let agents: AgentHarness[] = [];
  let cluster = 0;
  let prefix = '';

  beforeAll(async () => {
    etcd = await EtcdMembers.start(1);
  }, 30_000);
  afterAll(async () => etcd?.stop());
  afterEach(async () => {
    await Promise.all(agents.map((a) => a.cleanup()));
    agents = [];
  });

  function agent(name: string, appliances: Record<string, string>, labels = '', more = ''): AgentHarness {
    const h = new AgentHarness({
      appliances,
      extraConfig: ['[cluster]', `etcd = ${etcd.tomlEndpoints}`, `name = "${name}"`, `cluster = "${prefix}"`, `lease_ttl = "${TTL_S}s"`, labels && `labels = ${labels}`, more].join('\n'),
    });
    agents.push(h);
    return h;
  }

  function newCluster(): void {
    prefix = `t${process.pid}-${++cluster}`;
  }

  async function hosts(h: AgentHarness): Promise<HostsAnswer> {
    const out = await h.cli('hosts', '--json');
    if (out.code !== 0) throw new Error(`spew hosts exited ${out.code}: ${out.stderr}`);
    return JSON.parse(out.stdout) as HostsAnswer;
  }

  async function listed(h: AgentHarness, ...args: string[]): Promise<Listed[]> {
    const out = await h.cli('status', '--json', ...args);
    if (out.code !== 0) throw new Error(`spew status exited ${out.code}: ${out.stderr}`);
    return JSON.parse(out.stdout) as Listed[];
  }

  const sleeper = (name: string): string => `[${name}]\ncommand = "sleep 1000"\n`;

  /** Two hosts: alpha runs web (as `webToml` says), beta runs nothing and has seen web. */
  async function webOnAlphaSeenFromBeta(webToml: string): Promise<{ alpha: AgentHarness; beta: AgentHarness; web: ApplianceStatus }> {
    const alpha = agent('alpha', { 'web.toml': webToml });
    const beta = agent('beta', {});
    await Promise.all([alpha.start(), beta.start()]);
    const web = await alpha.running('web');
    await waitFor('web seen from beta', async () => (await listed(beta)).some((r) => r.name === 'web'), SLOW);
    return { alpha, beta, web };
  }

  it('joins two hosts: spew hosts lists both, spew status on each shows every host\'s appliances with a HOST column', async () => {
    newCluster();
    const alpha = agent('alpha', { 'web.toml': sleeper('web') }, '{ rack = "a", role = "web" }');
    const beta = agent('beta', { 'db.toml': sleeper('db') }, '{ rack = "b" }');
    await Promise.all([alpha.start(), beta.start()]);
    await Promise.all([alpha.running('web'), beta.running('db')]);

    const members = await waitFor('both hosts up, each with its one appliance', async () => {
      const answer = await hosts(beta);
      return answer.hosts.length === 2 && answer.hosts.every((h) => h.state === 'up' && h.appliances.running === 1) ? answer : undefined;
    }, SLOW);
    expect(members.link).toMatchObject({ host: 'beta', cluster: prefix, membership: 'joined' });
    expect(members.hosts.map((h) => [h.name, h.labels])).toEqual([['alpha', { rack: 'a', role: 'web' }], ['beta', { rack: 'b' }]]);
    expect(members.hosts.every((h) => h.unreachable_since === null && /^\d+\.\d+\.\d+/.test(h.version))).toBe(true);

    const table = await beta.cli('hosts');
    expect(table.stdout).toMatch(/^HOST\s+STATE\s+APPLIANCES\s+RUNNING\s+VERSION\s+LABELS\s+JOINED/);
    expect(table.stdout).toMatch(/alpha\s+up\s+1\s+1\s+\S+\s+rack=a,role=web/);
    expect(table.stdout).toMatch(/beta \*\s+up/);

    for (const [h, other] of [[alpha, 'db'], [beta, 'web']] as const) {
      const all = await waitFor(`${other} seen from the other host`, async () => {
        const rows = await listed(h);
        return rows.some((r) => r.name === other && r.state === 'running') ? rows : undefined;
      }, SLOW);
      expect(all.map((r) => [r.host, r.name, r.host_state]).sort()).toEqual([['alpha', 'web', 'up'], ['beta', 'db', 'up']]);
    }
    const web = (await listed(beta)).find((r) => r.name === 'web')!;
    expect(web.pid).toBe((await alpha.status('web')).pid);
    expect(web.ref).toBe((await alpha.status('web')).ref);

    const text = await beta.cli('status');
    expect(text.stdout).toMatch(/^HOST\s+NAME\s+REF\s+TYPE\s+STATE/);
    expect(text.stdout).toMatch(/\nbeta\s+db\s+\S+\s+shell\s+running/);
    expect(text.stdout).toMatch(/\nalpha\s+web\s+\S+\s+shell\s+running/);

    expect((await listed(beta, '--local')).map((r) => r.name)).toEqual(['db']);
    expect((await listed(beta, '--host', 'alpha')).map((r) => r.name)).toEqual(['web']);
    expect((await listed(beta, 'web')).map((r) => [r.host, r.name])).toEqual([['alpha', 'web']]);
    const unknown = await beta.cli('status', '--host', 'gamma');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no host named gamma');
    const missing = await beta.cli('status', 'nosuch');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no appliance named nosuch in the cluster');

    // Whoever can write to etcd can put anything there: it is skipped and named, never trusted.
    await etcd.ctl('put', `/spew/${prefix}/members/evil`, '{"name":"evil\u001b[2J"}');
    await etcd.ctl('put', `/spew/${prefix}/status/alpha/fake`, 'not json');
    const skipped = await hosts(beta);
    expect(skipped.hosts.map((h) => h.name)).toEqual(['alpha', 'beta']);
    expect(skipped.unreadable).toEqual([`/spew/${prefix}/status/alpha/fake`, `/spew/${prefix}/members/evil`]);
    expect((await listed(beta)).map((r) => r.name).sort()).toEqual(['db', 'web']);
  }, 60_000);

  it('publishes transitions: a crash and a stop on one host are seen on the other', async () => {
    newCluster();
    const alpha = agent('alpha', { 'web.toml': `${sleeper('web')}restart = "always"\n` });
    const beta = agent('beta', {});
    await Promise.all([alpha.start(), beta.start()]);
    const first = await alpha.running('web');
    process.kill(first.pid!, 'SIGKILL');
    const again = await alpha.until('web', 'to run again after the crash', (s) => s.state === 'running' && s.restarts === 1);
    const seen = await waitFor('the restart seen from beta', async () =>
      (await listed(beta, '--host', 'alpha')).find((r) => r.name === 'web' && r.restarts === 1 && r.state === 'running'), SLOW);
    expect(seen.pid).toBe(again.pid);
    expect((await alpha.cli('stop', 'web')).code).toBe(0);
    await waitFor('the stop seen from beta', async () => (await listed(beta, '--host', 'alpha')).find((r) => r.state === 'stopped'), SLOW);
    expect((await alpha.cli('remove', 'web')).code).toBe(0);
    await waitFor('the removal seen from beta', async () => (await listed(beta, '--host', 'alpha')).length === 0, SLOW);
  }, 60_000);

  it('runs on another host (--host, --constraint), and start/stop/restart/remove reach it from any host, each carried out once and acknowledged', async () => {
    newCluster();
    const alpha = agent('alpha', {}, '{ rack = "a" }');
    const beta = agent('beta', {}, '{ rack = "b" }');
    await Promise.all([alpha.start(), beta.start()]);
    await waitFor('both hosts up', async () => (await hosts(alpha)).hosts.filter((h) => h.state === 'up').length === 2, SLOW);

    const ran = await alpha.cli('run', '--host', 'beta', 'job', '--', 'sleep', '1000');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/^HOST\s+NAME/);
    expect(ran.stdout).toMatch(/\nbeta\s+job\s+\S+\s+shell\s+running/);
    const job = await beta.running('job');
    expect(await listed(alpha, '--local')).toEqual([]);

    const placed = await alpha.cli('run', '--json', '--constraint', 'rack=b', 'other', '--', 'sleep', '1000');
    expect(placed.code, placed.stderr).toBe(0);
    expect(JSON.parse(placed.stdout)).toMatchObject({ host: 'beta', name: 'other', state: 'running' });
    await beta.running('other');
    const nowhere = await alpha.cli('run', '--constraint', 'rack=c', 'lost', '--', 'sleep', '1');
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('no live host has the labels rack=c');
    // Refused where it was asked: a bad definition never reaches the other host.
    const bad = await alpha.cli('run', '--host', 'beta', 'bad', '--stop-timeout', 'soon', '--', 'sleep', '1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('stop_timeout');
    expect((await listed(beta, '--local')).map((a) => a.name).sort()).toEqual(['job', 'other']);

    // Names are unique in the cluster: alpha refuses one beta has.
    const twin = await alpha.cli('run', 'job', '--', 'sleep', '1');
    expect(twin.code).toBe(1);
    expect(twin.stderr).toContain(`host beta has the name job (appliance job, ref ${job.ref})`);

    const stopped = await alpha.cli('stop', 'job');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toBe('job: stopped (on beta)\n');
    expect((await beta.status('job')).state).toBe('stopped');
    expect((await alpha.cli('start', 'job')).stdout).toBe('job: running (on beta)\n');
    const restarted = await alpha.cli('restart', job.ref);
    expect(restarted.stdout).toBe('job: running (on beta)\n');
    const after = await beta.running('job');
    expect(after.pid).not.toBe(job.pid);
    // run, start, restart: three starts, none twice.
    expect(after.starts).toBe(3);
    const unknown = await alpha.cli('stop', 'nosuch');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('spew: no appliance named "nosuch"\n');

    const removed = await alpha.cli('remove', 'job', 'other');
    expect(removed.stdout).toBe('job: removed (on beta)\nother: removed (on beta)\n');
    expect(await listed(beta, '--local')).toEqual([]);
    // A removed appliance's name is given back: alpha may have it now.
    await waitFor('job free again', async () => (await alpha.cli('run', 'job', '--', 'sleep', '1000')).code === 0, SLOW);

    // Two hosts creating one name at the same moment: one gets it, the other is refused.
    const both = await Promise.all([alpha.cli('run', 'dup', '--', 'sleep', '1000'), beta.cli('run', 'dup', '--', 'sleep', '1000')]);
    expect(both.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(both.find((r) => r.code === 1)?.stderr).toContain('has the name dup');
    const dups = [...await listed(alpha, '--local'), ...await listed(beta, '--local')].filter((a) => a.name === 'dup');
    expect(dups).toHaveLength(1);
  }, 90_000);

  it('an owner that does not answer (SIGSTOP, a partition): the command fails after ack_timeout, withdrawn and not done; then unreachable; SIGCONT, and all is as it was', async () => {
    newCluster();
    const alpha = agent('alpha', {}, '', 'ack_timeout = "2s"');
    const beta = agent('beta', { 'web.toml': sleeper('web') });
    await Promise.all([alpha.start(), beta.start()]);
    const web = await beta.running('web');
    await waitFor('web seen from alpha', async () => (await listed(alpha)).some((r) => r.name === 'web'), SLOW);

    process.kill(beta.agentPid, 'SIGSTOP');
    try {
      const asked = await alpha.cli('stop', 'web');
      expect(asked.code).toBe(1);
      expect(asked.stderr).toContain('host beta did not take the stop request within 2 s');
      expect(asked.stderr).toContain('withdrawn, nothing was done');
      await waitFor('beta unreachable', async () => (await hosts(alpha)).hosts.find((h) => h.name === 'beta' && h.state === 'unreachable'), SLOW);
      const refused = await alpha.cli('restart', 'web');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('host beta is unreachable');
      expect(isAlive(web.pid!)).toBe(true);
    } finally {
      process.kill(beta.agentPid, 'SIGCONT');
    }
    await waitFor('beta up again', async () => (await hosts(alpha)).hosts.find((h) => h.name === 'beta' && h.state === 'up'), SLOW);
    // The withdrawn stop was never carried out, the refused restart never sent.
    const now = await beta.status('web');
    expect(now).toMatchObject({ state: 'running', pid: web.pid, starts: 1 });
    expect((await alpha.cli('stop', 'web')).stdout).toBe('web: stopped (on beta)\n');
  }, 90_000);

  it('spew events shows every host\'s events, each with its host; -f follows the other hosts\' new ones; --local narrows', async () => {
    newCluster();
    const { alpha, beta } = await webOnAlphaSeenFromBeta(sleeper('web'));
    await waitFor('alpha\'s start in beta\'s events', async () => (await beta.cli('events', '-t', '100')).stdout.includes('alpha web started pid='), SLOW);
    const records = (await beta.cli('events', '--json', '-t', '100')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { host: string; name: string; event: { kind: string } });
    expect(records.some((r) => r.host === 'alpha' && r.name === 'web' && r.event.kind === 'started')).toBe(true);
    expect((await beta.cli('events', '--local', '-t', '100')).stdout).not.toContain('web');

    const follow = beta.spawnCli('events', '-f', '-t', '0');
    try {
      // The follower's first read done: what comes next is news.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await alpha.cli('stop', 'web')).code).toBe(0);
      expect((await beta.cli('run', 'db', '--', 'sleep', '1000')).code).toBe(0);
      const out = await follow.waitForOutput('alpha\'s stop and beta\'s own run', (o) => / alpha web stop-request kill=false -> stopping\n/.test(o) && / beta db started pid=\d+ -> running\n/.test(o));
      expect(out).not.toContain('web started');
    } finally {
      await follow.end();
    }
  }, 60_000);

  it('refuses a second live agent with a name already held; that agent runs its appliances on, alone', async () => {
    newCluster();
    const first = agent('alpha', {});
    await first.start();
    await waitFor('alpha joined', async () => (await hosts(first)).link.membership === 'joined', SLOW);
    const impostor = agent('alpha', { 'job.toml': sleeper('job') });
    await impostor.start();
    await impostor.running('job');
    const refused = await waitFor('the second alpha refused', async () => {
      const out = await impostor.cli('hosts', '--json');
      const answer = JSON.parse(out.stdout) as HostsAnswer;
      return answer.link.membership === 'refused' ? answer : undefined;
    }, SLOW);
    expect(refused.link.detail).toContain('the name alpha is held by another live agent');
    expect(impostor.agentLog()).toContain('cannot join');
    // The first one's record is untouched: its appliances (none) and its place.
    const seen = await hosts(first);
    expect(seen.hosts.map((h) => [h.name, h.appliances.total])).toEqual([['alpha', 0]]);
    expect((await listed(first)).map((r) => r.name)).toEqual([]);
  }, 60_000);

  it('a dependency on another host (db@beta): the start waits for it running there, and what runs is not stopped when that host is lost', async () => {
    newCluster();
    const alpha = agent('alpha', { 'web.toml': '[web]\ncommand = "sleep 1000"\ndepends = ["db@beta"]\n' });
    const beta = agent('beta', {});
    await Promise.all([alpha.start(), beta.start()]);
    await alpha.until('web', 'to wait for db on beta', (s) => s.state === 'waiting');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await alpha.status('web')).state).toBe('waiting');

    const db = await beta.cli('run', 'db', '--', 'sleep', '1000');
    expect(db.code, db.stderr).toBe(0);
    const web = await alpha.running('web');

    // Stopped there: web runs on (it is told nothing of another host's appliance).
    expect((await beta.cli('stop', 'db')).code).toBe(0);
    await waitFor('db seen stopped from alpha', async () => (await listed(alpha, '--host', 'beta')).some((r) => r.name === 'db' && r.state === 'stopped'), SLOW);
    // A new start of web waits again.
    expect((await alpha.cli('stop', 'web')).code).toBe(0);
    const start = alpha.cli('start', 'web');
    await alpha.until('web', 'to wait for db again', (s) => s.state === 'waiting');
    expect((await beta.cli('start', 'db')).code).toBe(0);
    expect((await start).code).toBe(0);
    const again = await alpha.running('web');
    expect(again.pid).not.toBe(web.pid);

    // beta lost (kill -9): web goes on as it was.
    await beta.kill9();
    await waitFor('beta unreachable', async () => (await hosts(alpha)).hosts.find((h) => h.name === 'beta' && h.state === 'unreachable'), SLOW);
    const after = await alpha.status('web');
    expect(after).toMatchObject({ state: 'running', pid: again.pid, restarts: again.restarts });
  }, 90_000);

  it('kill -9 of an agent: the others show it unreachable within TTL plus a margin, with its last status greyed; its appliances run on; back, it is current', async () => {
    newCluster();
    const { alpha, beta, web } = await webOnAlphaSeenFromBeta(sleeper('web'));

    const killedAt = Date.now();
    await alpha.kill9();
    const gone = await waitFor('alpha unreachable', async () => {
      const answer = await hosts(beta);
      return answer.hosts.find((h) => h.name === 'alpha' && h.state === 'unreachable');
    }, (TTL_S * 1000) + UNREACHABLE_MARGIN_MS + 5_000);
    const seenAfterMs = Date.now() - killedAt;
    expect(seenAfterMs).toBeLessThan((TTL_S * 1000) + UNREACHABLE_MARGIN_MS);
    await waitFor('the time it went recorded', async () => (await hosts(beta)).hosts.find((h) => h.name === 'alpha')?.unreachable_since !== null, SLOW);
    expect(gone.appliances.total).toBe(1);
    expect(isAlive(web.pid!)).toBe(true);

    const stale = (await listed(beta)).find((r) => r.name === 'web')!;
    expect(stale).toMatchObject({ host: 'alpha', host_state: 'unreachable', state: 'running', pid: web.pid });
    expect((await beta.cli('status')).stdout).toMatch(/alpha\s+web\s+\S+\s+shell\s+running\?.*host unreachable: last heard of/);
    expect((await beta.cli('hosts')).stdout).toMatch(/alpha\s+unreachable since \S+ ago/);

    await alpha.start();
    const back = await waitFor('alpha up again', async () => (await hosts(beta)).hosts.find((h) => h.name === 'alpha' && h.state === 'up'), SLOW);
    expect(back.unreachable_since).toBeNull();
    expect((await alpha.status('web')).pid).toBe(web.pid);
    const current = (await listed(beta)).find((r) => r.name === 'web')!;
    expect(current).toMatchObject({ host_state: 'up', state: 'running', pid: web.pid });
  }, 60_000);

  it('an agent killed with -9 and started again at once takes back its own place, not refused by its own lease', async () => {
    newCluster();
    const alpha = agent('alpha', { 'web.toml': sleeper('web') });
    await alpha.start();
    await waitFor('alpha joined', async () => (await hosts(alpha)).link.membership === 'joined', SLOW);
    await alpha.kill9();
    await alpha.start();
    const answer = await waitFor('alpha joined again', async () => {
      const a = await hosts(alpha);
      return a.link.membership === 'joined' ? a : undefined;
    }, SLOW);
    expect(answer.hosts.map((h) => [h.name, h.state])).toEqual([['alpha', 'up']]);
    expect(alpha.agentLog()).not.toContain('cannot join');
  }, 60_000);

  it('etcd down: appliances keep running, local commands work, cluster commands fail clearly; all recovers when etcd is back', async () => {
    newCluster();
    const { alpha, beta, web } = await webOnAlphaSeenFromBeta(`${sleeper('web')}restart = "always"\n`);

    await etcd.killAll();
    try {
      const status = await alpha.cli('status');
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/alpha\s+web\s+\S+\s+shell\s+running/);
      expect(status.stdout).toContain('cluster: unreachable, this host\'s appliances only');
      const hostsOut = await alpha.cli('hosts');
      expect(hostsOut.code).toBe(1);
      expect(hostsOut.stderr).toContain('CLUSTER_UNREACHABLE');
      // Supervision goes on: a crash is restarted, a stop and start are carried out.
      process.kill(web.pid!, 'SIGKILL');
      await alpha.until('web', 'to run again with etcd down', (s) => s.state === 'running' && s.restarts === 1);
      // Beyond the lease's TTL: nothing is stopped for the want of etcd.
      await new Promise((resolve) => setTimeout(resolve, TTL_S * 1000 + 500));
      expect((await alpha.status('web')).state).toBe('running');
    } finally {
      await etcd.restartAll();
    }
    const after = await alpha.status('web');
    await waitFor('the restart published once etcd is back', async () =>
      (await listed(beta)).find((r) => r.name === 'web' && r.restarts === 1 && r.pid === after.pid && r.host_state === 'up'), SLOW);
    const answer = await waitFor('both joined again', async () => {
      const a = await hosts(alpha);
      return a.link.membership === 'joined' && a.hosts.every((h) => h.state === 'up') ? a : undefined;
    }, SLOW);
    expect(answer.hosts.map((h) => h.name)).toEqual(['alpha', 'beta']);
  }, 90_000);
});
