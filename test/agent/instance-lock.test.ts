import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceLock } from '../../src/agent/instance-lock.js';

describe('InstanceLock', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'spew-lock-'));
    dirs.push(dir);
    return dir;
  };

  it('refuses a second holder while the first lives, naming the state dir', () => {
    const dir = tempDir();
    const lock = InstanceLock.acquire(dir);
    expect(() => InstanceLock.acquire(dir)).toThrow(new RegExp(`already running on state dir ${dir}`));
    lock.release();
    InstanceLock.acquire(dir).release();
  });

  it('takes over a lock left by a dead agent', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'agent.lock'), '999999999 123');
    const lock = InstanceLock.acquire(dir);
    expect(readFileSync(join(dir, 'agent.lock'), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    lock.release();
  });

  it('takes over a lock that holds no pid and start time (a damaged file)', () => {
    const dir = tempDir();
    for (const garbage of ['garbage', '', `${process.pid}`, `${process.pid} x`, '\u0000\u0001']) {
      writeFileSync(join(dir, 'agent.lock'), garbage);
      const lock = InstanceLock.acquire(dir);
      expect(readFileSync(join(dir, 'agent.lock'), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+$`));
      lock.release();
    }
  });
});
