/**
 * A root agent and a hostile local user (nobody), or a careless root: no debugger door, no
 * file written through a planted link, no state dir others can write to, no hook or watcher
 * run as root for an appliance that runs as a user, and a refusal that says which group gives
 * access (and what that access means). Root only: the agent must be root for any of it to matter.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHarness, BIN, SLOW, type CliResult } from '../support/agent-harness.js';
import { isAlive, listeningPorts } from '../support/proc.js';
import { waitFor } from '../support/wait-for.js';

const root = process.getuid?.() === 0;

function asNobody(...argv: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('setpriv', ['--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups', ...argv], { env: { PATH: process.env.PATH, HOME: '/nonexistent', NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe.runIf(root)('local attacks on a root agent', () => {
  let h: AgentHarness;
  afterEach(async () => h.cleanup());

  it('opens no inspector on SIGUSR1 from root, and nobody cannot even send it', async () => {
    h = new AgentHarness();
    await h.start();
    for (let i = 0; i < 5; i++) process.kill(h.agentPid, 'SIGUSR1');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isAlive(h.agentPid)).toBe(true);
    expect(listeningPorts(h.agentPid)).toEqual([]);
    const denied = await asNobody('kill', '-USR1', String(h.agentPid));
    expect(denied.code).not.toBe(0);
    expect(listeningPorts(h.agentPid)).toEqual([]);
    expect((await h.client.agent()).pid).toBe(h.agentPid);
  });

  it("never appends an appliance's output through a link planted at its log, and says so", async () => {
    h = new AgentHarness();
    const precious = h.path('precious');
    writeFileSync(precious, 'root only\n', { mode: 0o600 });
    mkdirSync(join(h.logDir, 'appliances'), { recursive: true, mode: 0o750 });
    symlinkSync(precious, join(h.logDir, 'appliances', 'victim.log'));
    await h.start();
    expect((await h.cli('run', 'victim', '--', 'sh', '-c', 'while :; do echo "written as root"; sleep 0.05; done')).code).toBe(0);
    await waitFor('status to tell of its lost output', async () => (await h.client.statusAnswer()).warnings?.some((w) => w.startsWith('victim: ') && w.includes('symbolic link')), SLOW);
    expect(readFileSync(precious, 'utf8')).toBe('root only\n');
    expect(h.agentLog()).toMatch(/victim: its output cannot be logged \(.*victim\.log is a symbolic link; the agent does not use it\)/);
  });

  it('never writes its state through a link planted at the temp file name', async () => {
    h = new AgentHarness();
    const precious = h.path('precious');
    writeFileSync(precious, 'root only\n', { mode: 0o600 });
    await h.start();
    symlinkSync(precious, join(h.stateDir, `state.json.tmp-${h.agentPid}`));
    symlinkSync(precious, join(h.stateDir, `state.json.1.tmp-${h.agentPid}`));
    // Saves that grow the state past its room write it anew, through the temp name.
    const room = statSync(join(h.stateDir, 'state.json')).size;
    for (let i = 0; statSync(join(h.stateDir, 'state.json')).size === room; i++) {
      expect(i, 'the state to outgrow its room').toBeLessThan(40);
      expect((await h.cli('create', `app${i}`, '--', 'sleep', '1')).code).toBe(0);
    }
    expect(readFileSync(precious, 'utf8')).toBe('root only\n');
    expect((await h.client.status()).length).toBeGreaterThan(0);
  });

  it('refuses to start on a state dir anyone may write to, naming it and what to do', async () => {
    h = new AgentHarness();
    mkdirSync(h.stateDir, { mode: 0o700 });
    chmodSync(h.stateDir, 0o777);
    const refused = await h.startAnother();
    expect(refused.code).toBe(1);
    const said = refused.stderr.replace(/\s*\n\s*›\s*/g, ' ');
    expect(said).toContain(`state_dir ${h.stateDir}: unsafe: ${h.stateDir} is writable by everyone (mode 0777)`);
    expect(said).toContain(`chmod go-w ${h.stateDir}`);
  });

  it('runs the hooks and exec watchers of an appliance of user nobody as nobody, with its HOME, never as root', async () => {
    h = new AgentHarness();
    chmodSync(h.dir, 0o755);
    const seen = h.path('seen');
    mkdirSync(seen, { mode: 0o777 });
    chmodSync(seen, 0o777);
    h.writeApplianceFile('a.toml', [
      '[pg]', 'command = "sleep 100000"', 'user = "nobody"', `cwd = "${seen}"`,
      '[[pg.watchers]]', 'type = "exec"', `command = 'echo "$(id -u) $HOME $USER $(pwd)" > ${seen}/watcher'`, 'interval = "200ms"',
      '[pg.hooks]', `start = [{ run = 'echo "$(id -u) $HOME $USER $(pwd)" > ${seen}/hook' }]`,
    ].join('\n'));
    await h.start();
    await h.running('pg');
    const expected = `65534 /nonexistent nobody ${seen}\n`;
    await waitFor('the watcher and the hook to have run', () => {
      try {
        return readFileSync(join(seen, 'watcher'), 'utf8') === expected && readFileSync(join(seen, 'hook'), 'utf8') === expected;
      } catch {
        return false;
      }
    }, SLOW);
  });

  it('tells a user refused the socket which group to join, and that it means root', async () => {
    h = new AgentHarness({ extraConfig: 'socket_mode = "0660"\nsocket_group = "root"\n' });
    await h.start();
    chmodSync(h.dir, 0o755);
    const refused = await asNobody(process.execPath, BIN, 'status', '--socket', h.socket);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`no permission to use the spew agent's socket ${h.socket}; its group is "root": join it`);
    expect(refused.stderr).toContain("can run any command as the agent's user (root on a host install)");
  });
});
