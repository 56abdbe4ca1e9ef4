import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli, type CliEntry } from '../../src/cli/entry.js';

function entry(): CliEntry & { oclifRuns: number } {
  const e = {
    oclifRuns: 0,
    versionLine: async () => 'spew/9.9.9 (abc)',
    runOclif: async () => {
      e.oclifRuns++;
    },
  };
  return e;
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('runCli', () => {
  it('answers --version without oclif', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const e = entry();
    await runCli(['--version'], e);
    expect(log).toHaveBeenCalledWith('spew/9.9.9 (abc)');
    expect(e.oclifRuns).toBe(0);
  });

  it('answers plain status without oclif, an unreachable agent as exit 1 with its socket', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const e = entry();
    await runCli(['status', '--socket', '/nonexistent/spew.sock'], e);
    expect(e.oclifRuns).toBe(0);
    expect(process.exitCode).toBe(1);
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/^spew: cannot reach the spew agent at \/nonexistent\/spew\.sock/));
  });

  it('hands everything else to oclif', async () => {
    for (const argv of [['help'], ['status', '--help'], ['logs', 'web'], [], ['service', 'install']]) {
      const e = entry();
      await runCli(argv, e);
      expect(e.oclifRuns, argv.join(' ')).toBe(1);
    }
  });
});
