/**
 * What a client, a config or a stray signal can throw at the agent: malformed requests, a
 * thousand connections at once, names that would shadow refs, durations past what a timer holds,
 * and every signal it can be sent. Each gets a clear answer or is ignored, and the appliances run
 * on exactly as they were.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApplianceStatus } from '../../src/model/appliance-status.js';
import { IGNORED_SIGNALS } from '../../src/agent/agent-signals.js';
import { AgentHarness, SLOW } from '../support/agent-harness.js';
import { rawRequest } from '../support/raw-http.js';
import { isAlive } from '../support/proc.js';

describe('hostile input', () => {
  let h: AgentHarness;
  let web: ApplianceStatus;

  beforeEach(async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[web]\ncommand = "sleep 100000"\n' } });
    await h.start();
    web = await h.running('web');
  });
  afterEach(async () => h.cleanup());

  async function unharmed(): Promise<void> {
    expect(await h.status('web')).toMatchObject({ state: 'running', pid: web.pid, starts: 1 });
    expect(isAlive(h.agentPid)).toBe(true);
  }

  it('answers 400, never 500, to malformed percent-encodings in any path', async () => {
    for (const path of ['/v1/appliances/%E0%A4%A', '/v1/appliances/%/start', '/v1/appliances/%zz/logs', '/v1/appliances/web%/history']) {
      const answer = await rawRequest(h.socket, path.endsWith('start') ? 'POST' : 'GET', path, path.endsWith('start') ? '{}' : undefined);
      expect(answer.status, path).toBe(400);
      expect((answer.json as { error: { code: string } }).error.code, path).toBe('INVALID_REQUEST');
    }
    await unharmed();
    expect(h.agentLog()).not.toContain('request failed');
  });

  it('takes a thousand connections at once, and answers every one', async () => {
    const answers = await Promise.all(Array.from({ length: 1000 }, () => new Promise<string>((resolve) => {
      const socket = connect(h.socket);
      let text = '';
      socket.on('connect', () => socket.end('GET /v1/agent HTTP/1.1\r\nhost: agent\r\nconnection: close\r\n\r\n'));
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text.slice(0, 12)));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    })));
    const failed = answers.filter((a) => a !== 'HTTP/1.1 200');
    expect(failed, `${failed.length} of 1000 failed: ${[...new Set(failed)].join(', ')}`).toEqual([]);
    await unharmed();
  });

  it('refuses a name that would shadow a ref, and a stop_timeout no timer can hold, saying why', async () => {
    const shadow = await h.cli('run', web.ref, '--', 'sleep', '1');
    expect(shadow.code).toBe(1);
    expect(shadow.stderr).toContain(`invalid appliance name "${web.ref}": 12 hex digits read as a ref`);
    const long = await h.cli('run', 'patient', '--stop-timeout', '600h', '--', 'sleep', '1');
    expect(long.code).toBe(1);
    expect(long.stderr).toContain('"600h" is longer than 24d 20h, the longest time a timer can wait');
    const file = h.writeApplianceFile('bad.toml', '[slow]\ncommand = "sleep 1"\nstop_timeout = "600h"\n');
    const validate = await h.cliWithout(['validate', file]);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toMatch(/bad\.toml:3:\d+: slow\.stop_timeout: duration "600h" is longer than 24d 20h/);
    expect((await h.client.status()).map((s) => s.name)).toEqual(['web']);
    // By name and by ref, `stop` finds the one appliance it names.
    expect((await h.cli('stop', web.ref)).code).toBe(0);
    expect((await h.status('web')).state).toBe('stopped');
  });

  it('ignores every signal it has no use for, and still answers; SIGUSR1 opens no debugger', async () => {
    for (const signal of IGNORED_SIGNALS) process.kill(h.agentPid, signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await unharmed();
    for (const signal of IGNORED_SIGNALS) expect(h.agentLog(), signal).toContain(`${signal} ignored`);
    const inspector = await new Promise<string>((resolve) => {
      const socket = connect(9229, '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve('open')));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(inspector).toBe('ECONNREFUSED');
  }, SLOW);
});
