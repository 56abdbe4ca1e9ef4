const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Writes a key path the way a TOML author would recognise it: `web.env.PORT`,
 * `"web#vsn:2".restart`, `web.depends[1]`. The prefix is written as given.
 */
export function formatKeyPath(prefix: string, path: readonly (string | number)[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const key = BARE_KEY.test(part) ? part : JSON.stringify(part);
      out = out === '' ? key : `${out}.${key}`;
    }
  }
  return out;
}
