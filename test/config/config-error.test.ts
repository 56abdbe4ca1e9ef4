import { describe, expect, it } from 'vitest';
import { SpewError } from '../../src/common/errors.js';
import { ConfigError } from '../../src/config/config-error.js';

describe('ConfigError', () => {
  it('is an INVALID_CONFIG SpewError answered with 400', () => {
    const error = new ConfigError([{ file: 'a.toml', line: 1, column: 2, keyPath: 'web', message: 'bad' }]);
    expect(error).toBeInstanceOf(SpewError);
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.httpStatus).toBe(400);
  });

  it('formats one problem per line, leaving out an empty key path', () => {
    const error = new ConfigError([
      { file: 'examples/web.toml', line: 12, column: 3, keyPath: 'web.restart', message: 'expected one of true, false' },
      { file: 'examples/web.toml', line: 20, column: 1, keyPath: '', message: 'Unterminated string constant' },
    ]);
    expect(error.message).toBe(
      'examples/web.toml:12:3: web.restart: expected one of true, false\nexamples/web.toml:20:1: Unterminated string constant',
    );
    expect(error.problems).toHaveLength(2);
  });
});
