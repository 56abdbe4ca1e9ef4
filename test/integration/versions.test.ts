/**
 * Versioned appliances through the real agent and CLI: a version for every change, history,
 * diff, rollback, export and apply onto a fresh instance, explain, retention.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DiffAnswer, ExplainAnswer, HistoryAnswer, RollbackAnswer } from '../../src/api/wire.js';
import { AgentHarness } from '../support/agent-harness.js';

async function history(h: AgentHarness, name: string): Promise<HistoryAnswer> {
  return JSON.parse((await h.cli('history', name, '--json')).stdout) as HistoryAnswer;
}

const WEB = (command: string) => `[_]\nenv = { LANG = "C" }\nstop_timeout = "2s"\n\n[web]\ncommand = "${command}"\nrestart = "always"\n`;

describe('versioned appliances', () => {
  const harnesses: AgentHarness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.cleanup();
  });
  const harness = (options?: ConstructorParameters<typeof AgentHarness>[0]): AgentHarness => {
    const h = new AgentHarness(options);
    harnesses.push(h);
    return h;
  };

  it('makes a version for every change and none for an unchanged apply; status flags a run on an older version', async () => {
    const h = harness({ appliances: { 'web.toml': WEB('sleep 1000') } });
    await h.start();
    const first = await h.running('web');
    expect(first).toMatchObject({ version: 1, running_version: 1 });

    const file = h.path('appliances.d', 'web.toml');
    expect((await h.cli('apply', file)).stdout).toContain('unchanged web');
    expect((await h.status('web')).pid).toBe(first.pid);
    expect((await history(h, 'web')).versions).toHaveLength(1);

    writeFileSync(file, WEB('sleep 2000'));
    expect((await h.cli('apply', file)).stdout).toContain('update web');
    const second = await h.running('web');
    expect(second).toMatchObject({ version: 2, running_version: 2 });
    expect(second.pid).not.toBe(first.pid);

    writeFileSync(file, WEB('sleep 3000'));
    await h.cli('apply', '--no-restart', file);
    expect(await h.status('web')).toMatchObject({ version: 3, running_version: 2, pid: second.pid });
    const status = await h.cli('status');
    expect(status.stdout).toMatch(/web .* running\s+2\*/);
    expect(status.stdout).toContain('* runs an older version than its definition');
    const diff = JSON.parse((await h.cli('diff', 'web', '--json')).stdout) as DiffAnswer;
    expect(diff).toEqual({ name: 'web', from: 2, to: 3, changes: [{ kind: 'changed', path: 'command', before: 'sleep 2000', after: 'sleep 3000' }] });
    expect((await h.cli('diff', 'web', '1', '3')).stdout).toContain('~ command: "sleep 1000" -> "sleep 3000"');

    await h.cli('restart', 'web');
    expect(await h.running('web')).toMatchObject({ version: 3, running_version: 3 });

    const made = await h.cli('run', 'extra', '--restart', 'crash', '--', 'sleep', '1000');
    expect(made.code).toBe(0);
    const listed = await history(h, 'extra');
    expect(listed.versions.map((v) => v.source)).toEqual(['API']);
    const web = await history(h, 'web');
    expect(web.versions.map((v) => v.source)).toEqual([`${file}:5`, `${file}:5`, `${file}:5`]);
    expect(new Set(web.versions.map((v) => v.hash)).size).toBe(3);
  });

  it('rolls a shell appliance back: a new version equal to the old one, and a restart onto it', async () => {
    const h = harness({ appliances: { 'web.toml': WEB('sleep 1000') } });
    await h.start();
    const file = h.path('appliances.d', 'web.toml');
    writeFileSync(file, WEB('sleep 2000'));
    await h.cli('apply', file);
    const before = await h.running('web');
    const rolled = JSON.parse((await h.cli('rollback', 'web', '--json')).stdout) as RollbackAnswer;
    expect(rolled).toMatchObject({ outcome: 'rolled-back', to: 1, version: 3 });
    const after = await h.running('web');
    expect(after).toMatchObject({ version: 3, running_version: 3, ref: before.ref });
    expect(after.pid).not.toBe(before.pid);
    expect(after.command).toBe('sleep 1000');
    const versions = (await history(h, 'web')).versions;
    expect(versions.at(-1)).toMatchObject({ version: 3, source: 'rollback to v1', hash: versions[0]?.hash, running: true });
    const missing = await h.cli('rollback', 'web', '--to', '9');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('version 9 is not in the history');
  });

  it('keeps its history across an agent restart and a kill -9', async () => {
    const h = harness({ appliances: { 'web.toml': WEB('sleep 1000') } });
    await h.start();
    const file = h.path('appliances.d', 'web.toml');
    writeFileSync(file, WEB('sleep 2000'));
    await h.cli('apply', file);
    const before = await history(h, 'web');
    await h.kill9();
    await h.start();
    expect(await history(h, 'web')).toEqual(before);
    await h.stop();
    await h.start();
    expect(await history(h, 'web')).toEqual(before);
  });

  it('bounds the history by history_limit, keeping the running version', async () => {
    const h = harness({ appliances: { 'web.toml': WEB('sleep 1000') }, extraConfig: 'history_limit = 3' });
    await h.start();
    const file = h.path('appliances.d', 'web.toml');
    writeFileSync(file, WEB('sleep 1001'));
    await h.cli('apply', file);
    for (const n of [1002, 1003, 1004]) {
      writeFileSync(file, WEB(`sleep ${n}`));
      await h.cli('apply', '--no-restart', file);
    }
    // Version 2 runs: it stays, with the newest two.
    expect((await history(h, 'web')).versions.map((v) => v.version)).toEqual([2, 4, 5]);
    // A stopped agent runs nothing: the newest three are kept, in memory and on disk.
    await h.stop();
    await h.start();
    expect((await history(h, 'web')).versions.map((v) => v.version)).toEqual([3, 4, 5]);
    expect(readFileSync(h.path('state', 'history.log'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('exports appliances that apply on a fresh instance as identical ones, byte for byte; explains every setting', async () => {
    const a = harness({ appliances: { 'web.toml': WEB('sleep 1000') } });
    await a.start();
    await a.running('web');
    await a.cli('run', 'job#zone:eu', '-e', 'MODE=batch', '--restart', 'crash', '--stop-timeout', '5s', '--', 'sleep', '1000');
    const exported = (await a.cli('export')).stdout;
    expect(exported).toContain('["job#zone:eu"]');

    const b = harness();
    await b.start();
    const file = b.path('exported.toml');
    writeFileSync(file, exported);
    expect((await b.cli('apply', file)).code).toBe(0);
    expect((await b.cli('export')).stdout).toBe(exported);
    for (const name of ['web', 'job']) {
      const [x, y] = [await a.status(name), await b.running(name)];
      expect(y.ref).toBe(x.ref);
      expect(y.command).toEqual(x.command);
    }
    // Applying the same file again changes nothing.
    expect((await b.cli('apply', file)).stdout).toMatch(/unchanged job[\s\S]*unchanged web/);
    expect((await b.cli('export', '--versions', 'web')).stdout).toContain('[web]');

    const explained = JSON.parse((await a.cli('explain', 'web', '--json')).stdout) as ExplainAnswer;
    const from = Object.fromEntries(explained.settings.map((s) => [s.key, s.from]));
    const webFile = a.path('appliances.d', 'web.toml');
    expect(from).toMatchObject({
      command: `${webFile}:5`,
      env: `the _ defaults of ${webFile}`,
      stop_timeout: `the _ defaults of ${webFile}`,
      stop_signal: 'built-in default',
      depends_timeout: 'the instance config (depends_timeout), or its default',
    });
    expect(readFileSync(webFile, 'utf8')).toContain('[web]');
  });

  it('restarts only what changed; a dependent restarts only where its bindings say so', async () => {
    const file = (dbCommand: string) => [
      `[db]\ncommand = "${dbCommand}"\nstop_timeout = "2s"\n`,
      '[calm]\ncommand = "sleep 1000"\ndepends = ["db"]\nstop_timeout = "2s"\n',
      '[eager]\ncommand = "sleep 1000"\ndepends = ["db"]\nstop_timeout = "2s"\nrestart = { dependency = { db = "restart" } }\n',
      '[other]\ncommand = "sleep 1000"\nstop_timeout = "2s"\n',
    ].join('\n');
    const h = harness({ appliances: { 'set.toml': file('sleep 1000') } });
    await h.start();
    const before = Object.fromEntries(await Promise.all(['db', 'calm', 'eager', 'other'].map(async (n) => [n, (await h.running(n)).pid])));
    writeFileSync(h.path('appliances.d', 'set.toml'), file('sleep 2000'));
    const plan = (await h.cli('apply', h.path('appliances.d', 'set.toml'))).stdout;
    expect(plan.split('\n').filter((l) => /^(update|unchanged) /.test(l)).sort()).toEqual(['unchanged calm', 'unchanged eager', 'unchanged other', 'update db']);
    await h.until('eager', 'to be restarted by its binding', (s) => s.state === 'running' && s.pid !== before.eager);
    expect((await h.running('db')).pid).not.toBe(before.db);
    expect((await h.status('calm')).pid).toBe(before.calm);
    expect((await h.status('other')).pid).toBe(before.other);
    expect((await h.status('calm')).version).toBe(1);
  });
});

