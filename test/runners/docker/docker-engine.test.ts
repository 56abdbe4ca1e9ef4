import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ensureBusyboxImage, ensureDockerEngine, pingEngine } from '../../support/docker-engine.js';

describe('the test Docker engine', () => {
  it('answers on its socket, started here when nothing ran, and is found again on a second call', async () => {
    const first = await ensureDockerEngine();
    expect(await pingEngine(first.socket)).toBe(true);
    const second = await ensureDockerEngine();
    expect(second.startedByUs).toBe(first.startedByUs);
  });

  it('makes a busybox image by import once, with the CMD asked for', async () => {
    await ensureDockerEngine();
    const ref = await ensureBusyboxImage('spew-test-busybox', 'cmd-echo', { cmd: ['echo', 'from-cmd'] });
    expect(await ensureBusyboxImage('spew-test-busybox', 'cmd-echo', { cmd: ['echo', 'from-cmd'] })).toBe(ref);
    const out = execFileSync('docker', ['run', '--rm', '--label', 'spew.test=engine', ref]).toString();
    expect(out).toBe('from-cmd\n');
  });
});
