import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HookAction } from '../../src/model/appliance-definition.js';
import { groupAlive } from '../../src/runners/process-group.js';
import { HookRunner, type HookContext, type HookOutcome } from '../../src/hooks/hook-runner.js';
import { waitFor } from '../support/wait-for.js';
import { closedPort, listen } from '../watchers/listen.js';

const cleanups: Array<() => void> = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spew-hook-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server: Server = createServer(handler);
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${await listen(server)}`;
}

const ctx: HookContext = {
  appliance: 'web', ref: 'r-123', event: 'crash', reason: 'exit code 3', state: 'backoff', payload: { code: 3 },
};

function recorder(defaultTimeoutMs?: number): { runner: HookRunner; outcomes: HookOutcome[]; at: Map<HookAction, number> } {
  const outcomes: HookOutcome[] = [];
  const at = new Map<HookAction, number>();
  const runner = new HookRunner((_ctx, outcome) => {
    outcomes.push(outcome);
    at.set(outcome.action, Date.now());
  }, defaultTimeoutMs);
  return { runner, outcomes, at };
}

describe('hook runner', () => {
  it('tells a command hook about the event through SPEW_* variables', async () => {
    const out = join(scratch(), 'env');
    const { runner, outcomes } = recorder();
    const action = { run: `echo "$SPEW_APPLIANCE|$SPEW_REF|$SPEW_EVENT|$SPEW_REASON|$SPEW_STATE|\${PATH:+path}" > ${out}` };
    runner.run([action], ctx, { env: {} });
    await waitFor('the hook', () => outcomes.length === 1);
    expect(outcomes[0]).toMatchObject({ action, ok: true });
    expect(readFileSync(out, 'utf8')).toBe('web|r-123|crash|exit code 3|backoff|path\n');
  });

  it.runIf(process.getuid?.() === 0)("runs a command hook as the appliance runs: its user, group, env and cwd", async () => {
    const dir = scratch();
    chmodSync(dir, 0o777);
    const out = join(dir, 'who');
    const { runner, outcomes } = recorder();
    runner.run([{ run: `echo "$(id -u):$(id -g)|$HOME|$USER|$(pwd)|$ROLE|$SPEW_EVENT" > ${out}` }], ctx, { env: { ROLE: 'db' }, user: 'nobody', group: 'nogroup', cwd: '/tmp' });
    await waitFor('the hook', () => outcomes.length === 1);
    expect(outcomes[0]).toMatchObject({ ok: true });
    expect(readFileSync(out, 'utf8')).toBe('65534:65534|/nonexistent|nobody|/tmp|db|crash\n');
  });

  it('returns at once, before any hook has run', () => {
    const { runner, outcomes } = recorder();
    const started = Date.now();
    runner.run([{ run: 'sleep 1' }], ctx, { env: {} });
    expect(Date.now() - started).toBeLessThan(100);
    expect(outcomes).toEqual([]);
  });

  it('reports a failing command with its exit code and last stderr line', async () => {
    const { runner, outcomes } = recorder();
    runner.run([{ run: 'echo "to stdout"; echo "first" >&2; echo "cannot reach pager" >&2; exit 4' }], ctx, { env: {} });
    await waitFor('the hook', () => outcomes.length === 1);
    expect(outcomes[0]).toMatchObject({ ok: false, error: 'exit code 4: cannot reach pager' });
  });

  it('kills a hanging command hook with its process group at the timeout', async () => {
    const pidFile = join(scratch(), 'pgid');
    const { runner, outcomes } = recorder();
    runner.run([{ run: `echo $$ > ${pidFile}; sleep 1000 & wait`, timeout_ms: 300 }], ctx, { env: {} });
    await waitFor('the hook', () => outcomes.length === 1);
    expect(outcomes[0]).toMatchObject({ ok: false, error: 'timed out after 300ms' });
    expect(outcomes[0]?.ms).toBeGreaterThanOrEqual(290);
    const pgid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the hook group to be gone', () => !groupAlive(pgid), 5000);
  });

  it('applies the default timeout to hooks that name none', async () => {
    const { runner, outcomes } = recorder(1000);
    runner.run([{ run: 'sleep 1000' }], ctx, { env: {} });
    await waitFor('the hook', () => outcomes.length === 1);
    expect(outcomes[0]).toMatchObject({ ok: false, error: 'timed out after 1s' });
  });

  it('posts the event as JSON to a webhook', async () => {
    const bodies: Array<{ type: string | undefined; body: Record<string, unknown> }> = [];
    const url = await serve((req, res) => {
      let text = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        bodies.push({ type: req.headers['content-type'], body: JSON.parse(text) as Record<string, unknown> });
        res.statusCode = req.method === 'POST' ? 204 : 405;
        res.end();
      });
    });
    const { runner, outcomes } = recorder();
    runner.run([{ post: `${url}/hook` }], ctx, { env: {} });
    await waitFor('the hook', () => outcomes.length === 1);
    expect(outcomes[0]).toMatchObject({ ok: true });
    expect(bodies).toEqual([{
      type: 'application/json',
      body: { appliance: 'web', ref: 'r-123', event: 'crash', reason: 'exit code 3', state: 'backoff', time: expect.any(String), code: 3 },
    }]);
    expect(Date.parse(bodies[0]?.body.time as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('reports a webhook that answers badly, refuses or hangs', async () => {
    const bad = await serve((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    const hanging = await serve(() => undefined);
    const refused = `http://127.0.0.1:${await closedPort()}/`;
    const { runner, outcomes } = recorder();
    runner.run([{ post: bad }, { post: refused }, { post: hanging, timeout_ms: 200 }], ctx, { env: {} });
    await waitFor('the hooks', () => outcomes.length === 3);
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error))).toEqual([
      'status 500', expect.stringContaining('ECONNREFUSED'), 'timed out after 200ms',
    ]);
  });

  it('runs one call’s hooks in order, one after another', async () => {
    const log = join(scratch(), 'log');
    const { runner, outcomes } = recorder();
    runner.run([{ run: `sleep 0.2; echo first >> ${log}` }, { run: `echo second >> ${log}` }], ctx, { env: {} });
    await waitFor('the hooks', () => outcomes.length === 2);
    expect(readFileSync(log, 'utf8')).toBe('first\nsecond\n');
  });

  it('never lets a hanging hook delay the hooks of another event', async () => {
    const { runner, outcomes, at } = recorder();
    const hanging = { run: 'sleep 1000', timeout_ms: 2000 };
    const quick = { run: 'true' };
    const started = Date.now();
    runner.run([hanging], ctx, { env: {} });
    runner.run([quick], { ...ctx, event: 'restart' }, { env: {} });
    await waitFor('the quick hook', () => at.has(quick));
    expect((at.get(quick) ?? Infinity) - started).toBeLessThan(1000);
    expect(at.has(hanging)).toBe(false);
    await waitFor('the hanging hook', () => outcomes.length === 2);
    expect(outcomes[1]).toMatchObject({ action: hanging, ok: false, error: 'timed out after 2s' });
  });

  it('reports a malformed webhook URL as a failure instead of throwing', async () => {
    const { runner, outcomes } = recorder();
    runner.run([{ post: 'not a url' }], ctx, { env: {} });
    await waitFor('the hook', () => outcomes.length === 1);
    expect(outcomes[0]).toMatchObject({ ok: false });
  });
});
