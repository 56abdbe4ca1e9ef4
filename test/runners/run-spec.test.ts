import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';
import { runSpec, shellQuote } from '../../src/runners/run-spec.js';
import { SHIM_SCRIPT } from '../../src/runners/shell-shim.js';
import type { Identity } from '../../src/runners/user-ids.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function def(extra: Partial<ApplianceDefinition>): ApplianceDefinition {
  return { name: 'app', ref: 'r1', command: ['true'], env: {}, stdin: false, ...extra } as ApplianceDefinition;
}

/** Everything readable now from a FIFO held read-write (so the read never waits for a writer). */
function drain(fd: number): string {
  const buf = Buffer.alloc(65536);
  let text = '';
  for (;;) {
    try {
      const n = readSync(fd, buf);
      if (n <= 0) return text;
      text += buf.toString('utf8', 0, n);
    } catch {
      return text;
    }
  }
}

/** Runs one start of `spec` through the real shim, in the foreground; answers what it said and printed. */
function runThroughShim(appliance: ApplianceDefinition, identity?: Identity): { life: string; out: string; err: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spew-spec-'));
  dirs.push(dir);
  spawnSync('mkfifo', ['out', 'err', 'life'].map((name) => join(dir, name)));
  const fds = Object.fromEntries(['out', 'err', 'life'].map((name) => [name, openSync(join(dir, name), constants.O_RDWR | constants.O_NONBLOCK)]));
  const result = spawnSync('/bin/sh', ['-c', SHIM_SCRIPT, 'spew-shim', 'run', dir, '', runSpec(appliance, identity && { ...identity, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 })], { stdio: 'ignore', timeout: 10_000 });
  expect(result.error).toBeUndefined();
  const answer = { life: drain(fds.life as number), out: drain(fds.out as number), err: drain(fds.err as number) };
  for (const fd of Object.values(fds)) closeSync(fd);
  return answer;
}

describe('run spec', () => {
  it('quotes any word on one line so that the shim reads it back exactly', () => {
    const word = `it's "a" $HOME \`x\` \\ \n end`;
    expect(shellQuote(word)).not.toContain('\n');
    const echoed = spawnSync('/bin/sh', ['-c', `n='\n'; eval "$0"`, `printf %s ${shellQuote(word)}`], { encoding: 'utf8' });
    expect(echoed.stdout).toBe(word);
  });

  it('runs the argv, in the working directory, with the environment and the appliance named in it', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'spew-cwd-'));
    dirs.push(cwd);
    const odd = 'a b $c \'d\'\nand a second line';
    const { life, out } = runThroughShim(def({
      command: ['/bin/sh', '-c', 'printf "%s|%s|%s|%s|%s\\n" "$1" "$(pwd)" "$GREETING" "$SPEW_APPLIANCE" "$SPEW_REF"; exit 3', 'sh', odd],
      cwd,
      env: { GREETING: 'hello "there"' },
    }));
    expect(out).toBe(`${odd}|${cwd}|hello "there"|app|r1\n`);
    expect(life).toMatch(/^pid (\d+) \d+ [\d.]+\nexit \1 3\n$/);
  });

  it('gives the appliance the err FIFO and keeps the shim\'s own words out of it', () => {
    // dash tells of a child that died by SIGKILL ("Killed") on its own stderr.
    const { life, err } = runThroughShim(def({ command: ['/bin/sh', '-c', 'echo bye >&2; kill -9 $$'] }));
    expect(err).toBe('bye\n');
    expect(life).toMatch(/\nexit \d+ 137\n$/);
  });

  it('runs a string command under /bin/sh -c', () => {
    expect(runThroughShim(def({ command: 'echo "$((1 + 2))"' })).out).toBe('3\n');
  });

  it('passes environment names the shell cannot export through env(1)', () => {
    const { out } = runThroughShim(def({ command: ['/usr/bin/env'], env: { 'my-var.x': 'v 1', PLAIN: 'p' } }));
    expect(out.split('\n')).toEqual(expect.arrayContaining(['my-var.x=v 1', 'PLAIN=p']));
  });

  it('says why on the lifeline when the working directory is not there, and runs nothing', () => {
    const { life, out } = runThroughShim(def({ command: ['echo', 'ran'], cwd: '/nonexistent/spew' }));
    expect(life).toMatch(/error \d+ cannot change into the working directory \/nonexistent\/spew\n$/);
    expect(out).toBe('');
  });

  it('drops to the user and group through setpriv, dropping supplementary groups', () => {
    const text = runSpec(def({ command: ['id'] }), { uid: 1000, gid: 1001, env: {} });
    expect(text).toMatch(/; set -- 'setpriv' '--reuid=1000' '--regid=1001' '--clear-groups' '--' 'id'$/);
  });

  it.runIf(process.getuid?.() === 0)("gives the user's HOME, USER and LOGNAME, unless the appliance's env sets them", () => {
    const identity = { uid: 1000, gid: 1001, env: { HOME: '/home/ann', USER: 'ann', LOGNAME: 'ann' } };
    const { out } = runThroughShim(def({ command: ['/usr/bin/env'], env: { LOGNAME: 'mine' } }), identity);
    expect(out.split('\n')).toEqual(expect.arrayContaining(['HOME=/home/ann', 'USER=ann', 'LOGNAME=mine']));
  });

  it('gives the appliance its stdin FIFO only when it asked for one', () => {
    expect(runSpec(def({ stdin: true }), undefined)).toMatch(/^exec 0<>"\$d\/in" /);
    expect(runSpec(def({}), undefined)).toMatch(/^exec 0<\/dev\/null /);
  });
});

describe('the shim claim', () => {
  it('runs a start once however many shims are asked to run it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spew-claim-'));
    dirs.push(dir);
    spawnSync('mkfifo', ['out', 'err', 'life'].map((name) => join(dir, name)));
    const fds = ['out', 'err', 'life'].map((name) => openSync(join(dir, name), constants.O_RDWR | constants.O_NONBLOCK));
    const spec = runSpec(def({ command: ['echo', 'ran'] }), undefined);
    for (let i = 0; i < 3; i++) spawnSync('/bin/sh', ['-c', SHIM_SCRIPT, 'spew-shim', 'run', dir, '', spec], { stdio: 'ignore' });
    expect(drain(fds[0] as number)).toBe('ran\n');
    for (const fd of fds) closeSync(fd);
  });
});
