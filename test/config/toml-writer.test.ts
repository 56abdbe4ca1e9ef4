import { describe, expect, it } from 'vitest';
import { parseTomlDocument } from '../../src/config/toml-document.js';
import { tomlKey, tomlTable, tomlValue } from '../../src/config/toml-writer.js';

describe('TOML writer', () => {
  it('writes values that read back the same, keys sorted and quoted where they must be', () => {
    const table = {
      command: ['sh', '-c', 'echo "hi"\n\ttab \\ back'],
      env: { B: '2', A: '1', 'with space': 'x' },
      stop_timeout: '3s',
      retries: 3,
      cpus: 0.5,
      stdin: false,
      watchers: [{ type: 'http', url: 'http://127.0.0.1:8080/', status: [200, 399] }],
      empty: {},
      unicode: 'é ✓',
    };
    const text = tomlTable('web#vsn:~>2.0', table);
    expect(text.split('\n')[0]).toBe('["web#vsn:~>2.0"]');
    expect(text.split('\n')[1]).toBe('command = ["sh", "-c", "echo \\"hi\\"\\n\\ttab \\\\ back"]');
    expect(text).toContain('env = { A = "1", B = "2", "with space" = "x" }');
    const read = parseTomlDocument('x.toml', text).value;
    expect(read).toEqual({ 'web#vsn:~>2.0': table });
  });

  it('quotes keys that are not bare', () => {
    expect(tomlKey('stop_timeout')).toBe('stop_timeout');
    expect(tomlKey('a.b')).toBe('"a.b"');
    expect(tomlValue(true)).toBe('true');
  });
});
