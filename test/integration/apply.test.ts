import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness } from '../support/agent-harness.js';
import { liveGroupMembers } from '../support/proc.js';

describe('spew apply', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  /** A file outside `include`, so only apply (never a first boot) reads it. */
  function applyFile(name: string, text: string): string {
    const path = h.path(name);
    writeFileSync(path, text);
    return path;
  }

  const alpha = '[alpha]\ncommand = "sleep 1000"\n';
  const beta = (seconds: number): string => `[beta]\ncommand = "sleep ${seconds}"\n`;

  it('creates what a file adds, updates what it changes and leaves the rest unchanged', async () => {
    h = new AgentHarness();
    await h.start();
    const file = applyFile('set.toml', alpha + beta(1000));

    const first = await h.cli('apply', file);
    expect(first).toMatchObject({ code: 0, stdout: 'create alpha\ncreate beta\napplied\n' });
    const alphaBefore = await h.running('alpha');
    const betaBefore = await h.running('beta');
    expect(alphaBefore.file).toBe(file);

    writeFileSync(file, alpha + beta(2000));
    const second = await h.cli('apply', file);
    expect(second).toMatchObject({ code: 0, stdout: 'unchanged alpha\nupdate beta\napplied\n' });
    const betaAfter = await h.running('beta');
    expect(betaAfter.command).toBe('sleep 2000');
    // An update keeps the appliance's identity and restarts it on the new definition.
    expect(betaAfter.ref).toBe(betaBefore.ref);
    expect(betaAfter.pid).not.toBe(betaBefore.pid);
    expect(await h.status('alpha')).toMatchObject({ pid: alphaBefore.pid, starts: 1 });
  });

  it('shows unchanged for a file applied again and restarts nothing', async () => {
    h = new AgentHarness();
    await h.start();
    const file = applyFile('set.toml', alpha + beta(1000));
    expect((await h.cli('apply', file)).code).toBe(0);
    const before = await Promise.all([h.running('alpha'), h.running('beta')]);

    const again = await h.cli('apply', file);
    expect(again).toMatchObject({ code: 0, stdout: 'unchanged alpha\nunchanged beta\napplied\n' });
    const after = await Promise.all([h.status('alpha'), h.status('beta')]);
    for (const [i, s] of after.entries()) {
      expect(s).toMatchObject({ state: 'running', pid: before[i]!.pid, starts: 1, restarts: 0 });
    }
  });

  it('prints the plan and changes nothing with --dry-run', async () => {
    h = new AgentHarness();
    await h.start();
    const file = applyFile('set.toml', alpha);
    expect((await h.cli('apply', file)).code).toBe(0);
    const alphaBefore = await h.running('alpha');

    writeFileSync(file, '[alpha]\ncommand = "sleep 3000"\n' + beta(1000));
    const dry = await h.cli('apply', '--dry-run', file);
    expect(dry).toMatchObject({ code: 0, stdout: 'update alpha\ncreate beta\ndry run: nothing applied\n' });
    const alphaAfter = await h.status('alpha');
    expect(alphaAfter).toMatchObject({ pid: alphaBefore.pid, command: 'sleep 1000' });
    const missing = await h.cli('status', 'beta');
    expect(missing.code).toBe(1);

    const json = await h.cli('apply', '--dry-run', '--json', file);
    expect(JSON.parse(json.stdout)).toEqual({
      applied: false,
      plan: [
        { name: 'alpha', ref: alphaBefore.ref, action: 'update', file },
        { name: 'beta', ref: null, action: 'create', file },
      ],
    });
  });

  it('removes the appliances the files do not name with --prune', async () => {
    h = new AgentHarness();
    await h.start();
    const file = applyFile('set.toml', alpha + beta(1000));
    expect((await h.cli('apply', file)).code).toBe(0);
    const betaPid = (await h.running('beta')).pid!;

    writeFileSync(file, alpha);
    const pruned = await h.cli('apply', '--prune', file);
    expect(pruned).toMatchObject({ code: 0, stdout: 'unchanged alpha\nremove beta\napplied\n' });
    expect((await h.cli('status', 'beta')).code).toBe(1);
    expect((await h.status('alpha')).state).toBe('running');
    // The removed appliance's process went with it.
    expect(liveGroupMembers(betaPid)).toEqual([]);
  });

  it('refuses a file with an error whole, pointing at file:line:col, and applies nothing of it', async () => {
    h = new AgentHarness();
    await h.start();
    const good = applyFile('good.toml', alpha);
    expect((await h.cli('apply', good)).code).toBe(0);
    const before = await h.running('alpha');

    const bad = applyFile('bad.toml', [
      '[alpha]',
      'command = "sleep 3000"',
      '',
      '[gamma]',
      'command = "sleep 1000"',
      'restart = "sometimes"',
      '',
    ].join('\n'));
    const refused = await h.cli('apply', bad);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    // The position is the offending key's.
    expect(refused.stderr).toContain(`${bad}:6:1: gamma.restart: expected one of true, false, "always", "crash", "never"`);

    expect((await h.cli('status', 'gamma')).code).toBe(1);
    expect(await h.status('alpha')).toMatchObject({ pid: before.pid, command: 'sleep 1000' });
  });
});

describe('first boot', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('applies the include files only when the state dir is empty: later edits wait for spew apply', async () => {
    h = new AgentHarness({ appliances: { 'a.toml': '[keeper]\ncommand = "sleep 1000"\n' } });
    await h.start();
    const first = await h.running('keeper');
    expect(await h.stop()).toBe(0);

    const file = h.writeApplianceFile('a.toml', '[keeper]\ncommand = "sleep 2000"\n\n[newcomer]\ncommand = "sleep 1000"\n');
    await h.start();
    const again = await h.running('keeper');
    expect(again).toMatchObject({ ref: first.ref, command: 'sleep 1000' });
    const newcomer = await h.cli('status', 'newcomer');
    expect(newcomer.code).toBe(1);
    expect(newcomer.stderr).toContain('newcomer');
    expect((await h.client.status()).map((s) => s.name)).toEqual(['keeper']);

    // The edit is still there to apply on purpose.
    const plan = await h.cli('apply', '--dry-run', file);
    expect(plan.stdout).toBe('update keeper\ncreate newcomer\ndry run: nothing applied\n');
  });
});
