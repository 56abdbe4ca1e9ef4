import { describe, expect, it } from 'vitest';
import { createCheck } from '../../src/watchers/create-check.js';
import { ExecCheck } from '../../src/watchers/exec-check.js';
import { HttpCheck } from '../../src/watchers/http-check.js';
import { TcpCheck } from '../../src/watchers/tcp-check.js';

const timing = { interval_ms: 1000, timeout_ms: 1000, retries: 3, start_period_ms: 0 };

describe('creating checks', () => {
  it('builds the check each watcher type names', () => {
    expect(createCheck({ ...timing, type: 'http', url: 'http://127.0.0.1:1/', method: 'GET', status: [200, 399] })).toBeInstanceOf(HttpCheck);
    expect(createCheck({ ...timing, type: 'tcp', address: '127.0.0.1:1' })).toBeInstanceOf(TcpCheck);
    expect(createCheck({ ...timing, type: 'exec', command: 'true' })).toBeInstanceOf(ExecCheck);
  });

  it('gives exec checks the env it is handed', async () => {
    const check = createCheck({ ...timing, type: 'exec', command: 'test "$ROLE" = primary' }, { env: { ROLE: 'primary' } });
    expect(await check.run(2000)).toEqual({ outcome: 'up' });
  });
});
