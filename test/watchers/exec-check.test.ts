import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { groupAlive } from '../../src/runners/process-group.js';
import { ExecCheck } from '../../src/watchers/exec-check.js';
import { waitFor } from '../support/wait-for.js';

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('exec check', () => {
  it('is up when the command exits 0', async () => {
    expect(await new ExecCheck('true', { env: {} }).run(2000)).toEqual({ outcome: 'up' });
  });

  it('is down with the exit code and the last line printed otherwise', async () => {
    const check = new ExecCheck('echo starting; echo "db unreachable" >&2; exit 3', { env: {} });
    expect(await check.run(2000)).toEqual({ outcome: 'down', detail: 'exit code 3: db unreachable' });
  });

  it('runs an argv array directly, without a shell', async () => {
    expect(await new ExecCheck(['/bin/sh', '-c', 'exit 0'], { env: {} }).run(2000)).toEqual({ outcome: 'up' });
    expect(await new ExecCheck(['/bin/echo', '$HOME'], { env: {} }).run(2000)).toEqual({ outcome: 'up' });
    expect(await new ExecCheck(['/no/such/program'], { env: {} }).run(2000)).toMatchObject({ outcome: 'down' });
  });

  it("sees the appliance's env on top of the agent's", async () => {
    const check = new ExecCheck('test "$PORT" = 8080 && test -n "$PATH"', { env: { PORT: '8080' } });
    expect(await check.run(2000)).toEqual({ outcome: 'up' });
  });

  it.runIf(process.getuid?.() === 0)("runs as the appliance's user and group, in its cwd, with the user's HOME, USER and LOGNAME", async () => {
    const check = new ExecCheck(
      'test "$(id -u):$(id -g)" = 65534:65534 && test "$HOME" = /nonexistent && test "$USER:$LOGNAME" = nobody:nobody && test "$(pwd)" = /tmp && test "$ROLE" = db || { id; env; pwd; exit 1; }',
      { env: { ROLE: 'db' }, user: 'nobody', group: 'nogroup', cwd: '/tmp' },
    );
    expect(await check.run(5000)).toEqual({ outcome: 'up' });
  });

  it.runIf(process.getuid?.() === 0)('never runs as the agent when the user cannot be found', async () => {
    expect(await new ExecCheck('true', { env: {}, user: 'no-such-user-x' }).run(2000)).toEqual({ outcome: 'down', detail: 'unknown user "no-such-user-x"' });
  });

  it('times out a slow command and kills its whole process group', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spew-exec-'));
    dirs.push(dir);
    const pidFile = join(dir, 'pgid');
    const check = new ExecCheck(`echo $$ > ${pidFile}; sleep 1000 & sleep 1000 & wait`, { env: {} });
    const started = Date.now();
    expect(await check.run(300)).toEqual({ outcome: 'timeout', detail: 'still running after 300ms; killed' });
    expect(Date.now() - started).toBeLessThan(2000);
    const pgid = Number(readFileSync(pidFile, 'utf8'));
    expect(pgid).toBeGreaterThan(1);
    await waitFor('the check group to be gone', () => !groupAlive(pgid), 5000);
  });

  it('keeps only the tail of a chatty command', async () => {
    const check = new ExecCheck('head -c 5000000 /dev/zero | tr "\\0" x; echo; echo last words; exit 1', { env: {} });
    expect(await check.run(5000)).toEqual({ outcome: 'down', detail: 'exit code 1: last words' });
  });
});
