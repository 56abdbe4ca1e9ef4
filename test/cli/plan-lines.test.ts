import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../src/cli/plan-lines.js';
import { painter } from '../../src/cli/style.js';

const plan = [
  { name: 'web', ref: null, action: 'create', file: '/a.toml' },
  { name: 'db', ref: 'r1', action: 'update', file: '/a.toml' },
  { name: 'x', ref: 'r2', action: 'unchanged', file: '/a.toml' },
  { name: 'y', ref: 'r3', action: 'remove', file: null },
] as const;

describe('renderPlan', () => {
  it('prints one line per appliance, then whether it was applied', () => {
    expect(renderPlan({ plan: [...plan], applied: true }, painter(false))).toBe(
      'create web\nupdate db\nunchanged x\nremove y\napplied',
    );
  });

  it('says so on a dry run', () => {
    expect(renderPlan({ plan: [], applied: false }, painter(false))).toBe('dry run: nothing applied');
  });

  it('colours actions on a terminal', () => {
    const text = renderPlan({ plan: [...plan], applied: true }, painter(true));
    expect(text).toContain('\u001b[32mcreate web\u001b[0m');
    expect(text).toContain('\u001b[31mremove y\u001b[0m');
  });
});
