import { describe, expect, it } from 'vitest';
import { parseApplianceFile } from '../../src/config/appliance-file.js';
import { ConfigError } from '../../src/config/config-error.js';
import { checkDependencies } from '../../src/supervision/dependency-check.js';

const instanceDefaults = { stop_timeout_ms: 10_000, depends_timeout_ms: 60_000 };

/** The formatted problems `checkDependencies` finds in `text`, as apps.toml. */
function problems(text: string, others?: Map<string, string[]>, acrossHosts?: boolean): string[] {
  try {
    checkDependencies(parseApplianceFile('apps.toml', text, instanceDefaults), others, acrossHosts);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('checkDependencies', () => {
  it('points an unknown dependency at the appliance that names it', () => {
    // An appliance named like a word of the message is not taken for the one it is about.
    const text = '[on]\ncommand = "x"\n[exist]\ncommand = "x"\n[web]\ncommand = "x"\ndepends = ["db"]\n';
    expect(problems(text)).toEqual(['apps.toml:5:1: web.depends: web depends on db, which does not exist']);
  });

  it('points a cycle at its first member in the file', () => {
    const text = '[solo]\ncommand = "x"\n[b]\ncommand = "x"\ndepends = ["a"]\n[a]\ncommand = "x"\ndepends = ["b"]\n';
    expect(problems(text)).toEqual(['apps.toml:3:1: b.depends: dependency cycle: a -> b -> a']);
  });

  it('points a problem of appliances not in the file at its first item', () => {
    const text = '[web]\ncommand = "x"\n';
    expect(problems(text, new Map([['api', ['gone']]]))).toEqual(['apps.toml:1:1: web.depends: api depends on gone, which does not exist']);
  });

  it('takes a dependency on another host on a cluster\'s agent only, and out of the graph', () => {
    const text = '[web]\ncommand = "x"\ndepends = ["cache", "db@beta"]\n[cache]\ncommand = "x"\ndepends = ["web@beta"]\n';
    expect(problems(text, new Map(), true)).toEqual([]);
    expect(problems(text)).toEqual([
      'apps.toml:1:1: web.depends[1]: db@beta is on another host, and this agent is in no cluster (its instance config has no [cluster] table)',
      'apps.toml:4:1: cache.depends[0]: web@beta is on another host, and this agent is in no cluster (its instance config has no [cluster] table)',
    ]);
  });

  it('finds nothing wrong with sound dependencies', () => {
    expect(problems('[db]\ncommand = "x"\n[web]\ncommand = "x"\ndepends = ["db"]\n')).toEqual([]);
  });
});
