import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type IViolation } from 'dependency-cruiser';
import { afterEach, describe, expect, it } from 'vitest';
import rules from '../../.dependency-cruiser.mjs';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The rules of `npm run lint`, over a small tree of modules written for the test. */
async function violations(files: Record<string, string>): Promise<string[]> {
  dir = mkdtempSync(join(tmpdir(), 'spew-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const previous = process.cwd();
  process.chdir(dir);
  try {
    const { tsConfig: _tsConfig, ...options } = rules.options;
    const result = await cruise(['src'], { ...options, ruleSet: { forbidden: rules.forbidden }, validate: true });
    if (typeof result.output === 'string') throw new Error(result.output);
    return result.output.summary.violations.map((v: IViolation) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  } finally {
    process.chdir(previous);
  }
}

describe('the layering that npm run lint enforces', () => {
  it('passes imports that point down the layers', async () => {
    expect(await violations({
      'src/model/thing.ts': 'export type Thing = string;\n',
      'src/runners/runner.ts': "import type { Thing } from '../model/thing.js';\nexport const runner = (t: Thing) => t;\n",
      'src/appliance/appliance.ts': "import { runner } from '../runners/runner.js';\nexport const go = () => runner('x');\n",
    })).toEqual([]);
  });

  it('refuses an import against the layer order, a type-only one too', async () => {
    expect(await violations({
      'src/appliance/appliance.ts': 'export interface Appliance { name: string }\n',
      'src/runners/runner.ts': "import type { Appliance } from '../appliance/appliance.js';\nexport const name = (a: Appliance) => a.name;\n",
    })).toEqual(['layer-runners: src/runners/runner.ts -> src/appliance/appliance.ts']);
  });

  it('refuses an import cycle inside one folder', async () => {
    const found = await violations({
      'src/store/a.ts': "import type { B } from './b.js';\nexport type A = B[];\n",
      'src/store/b.ts': "import type { A } from './a.js';\nexport type B = A | string;\n",
    });
    expect(found).toEqual(expect.arrayContaining(['no-cycle: src/store/a.ts -> src/store/b.ts']));
  });

  it('keeps the model a leaf and the state machine free of I/O', async () => {
    const found = await violations({
      'src/model/thing.ts': "import { readFileSync } from 'node:fs';\nexport const read = () => readFileSync('x');\n",
      'src/appliance/state-machine.ts': "import { spawn } from 'node:child_process';\nexport const go = () => spawn('x');\n",
    });
    expect(found).toEqual(expect.arrayContaining([
      'model-is-a-leaf: src/model/thing.ts -> fs',
      'pure-core: src/appliance/state-machine.ts -> child_process',
    ]));
  });

  it('loads the cluster code only by a dynamic import (a type-only import loads nothing)', async () => {
    const found = await violations({
      'src/cluster/cluster-node.ts': 'export const node = 1;\n',
      'src/agent/static.ts': "import { node } from '../cluster/cluster-node.js';\nexport const n = node;\n",
      'src/agent/lazy.ts': "export const n = async () => (await import('../cluster/cluster-node.js')).node;\n",
      'src/agent/typed.ts': "import type { node } from '../cluster/cluster-node.js';\nexport type N = typeof node;\n",
    });
    expect(found).toContain('cluster-loaded-on-demand: src/agent/static.ts -> src/cluster/cluster-node.ts');
    expect(found.filter((v) => v.startsWith('cluster-loaded-on-demand'))).toHaveLength(1);
  });
});
