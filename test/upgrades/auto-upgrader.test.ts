import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Appliance } from '../../src/appliance/appliance.js';
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';
import { AutoUpgrader } from '../../src/upgrades/auto-upgrader.js';
import type { UpgradeOutcome, Upgrader } from '../../src/upgrades/upgrader.js';

function appliance(ref: string, def: Partial<ApplianceDefinition>, state = 'running', desired = 'running'): Appliance {
  return { ref, state, desired, definition: { type: 'docker', ...def } } as unknown as Appliance;
}

const auto = { upgrade: { policy: 'auto' as const, interval_ms: 1_000, deadline_ms: 5_000 } };

/** An upgrader whose registry offers `available` and whose upgrades take `ms` each. */
function upgraderOffering(available: Record<string, string>, outcome: UpgradeOutcome['outcome'], ms: number) {
  const current: Record<string, string> = { a: '1.0.0', b: '1.0.0' };
  let running = 0;
  const calls = { upgrades: [] as string[], overlapping: false };
  const upgrader = {
    check: async (ref: string) => ({ current: current[ref] ?? null, available: available[ref] as string }),
    upgrade: async (ref: string, to: string): Promise<UpgradeOutcome> => {
      calls.upgrades.push(`${ref} ${to}`);
      running += 1;
      if (running > 1) calls.overlapping = true;
      await new Promise((resolve) => setTimeout(resolve, ms));
      running -= 1;
      const from = current[ref] ?? null;
      if (outcome === 'upgraded') current[ref] = to;
      return outcome === 'rolled-back' ? { outcome, from, to, reason: 'exit 3' } : { outcome: 'upgraded', from, to };
    },
  };
  return { upgrader: upgrader as unknown as Upgrader, calls };
}

describe('AutoUpgrader', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('checks each auto appliance on its interval and upgrades them one at a time', async () => {
    const { upgrader, calls } = upgraderOffering({ a: '1.1.0', b: '1.1.0' }, 'upgraded', 1_500);
    const autoUpgrader = new AutoUpgrader(upgrader, () => undefined);
    autoUpgrader.sync([appliance('a', auto), appliance('b', auto), appliance('c', {}), appliance('d', { ...auto, type: 'shell' })]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.upgrades).toEqual(['a 1.1.0', 'b 1.1.0']);
    expect(calls.overlapping).toBe(false);
    autoUpgrader.stop();
  });

  it('does not try a tag again once it rolled back', async () => {
    const { upgrader, calls } = upgraderOffering({ a: '2.1.0' }, 'rolled-back', 10);
    const autoUpgrader = new AutoUpgrader(upgrader, () => undefined);
    autoUpgrader.sync([appliance('a', auto)]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.upgrades).toEqual(['a 2.1.0']);
    autoUpgrader.stop();
  });

  it('leaves an appliance that does not run alone until it runs again', async () => {
    const { upgrader, calls } = upgraderOffering({ a: '1.1.0', b: '1.1.0' }, 'upgraded', 10);
    const autoUpgrader = new AutoUpgrader(upgrader, () => undefined);
    autoUpgrader.sync([appliance('a', auto, 'stopped', 'stopped'), appliance('b', auto, 'waiting')]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.upgrades).toEqual([]);
    autoUpgrader.sync([appliance('a', auto), appliance('b', auto, 'alive')]);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(calls.upgrades).toEqual(['a 1.1.0', 'b 1.1.0']);
    autoUpgrader.stop();
  });

  it('stops checking an appliance that is gone or no longer auto', async () => {
    const { upgrader, calls } = upgraderOffering({ a: '1.1.0' }, 'upgraded', 10);
    const autoUpgrader = new AutoUpgrader(upgrader, () => undefined);
    autoUpgrader.sync([appliance('a', auto)]);
    autoUpgrader.sync([appliance('a', {})]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls.upgrades).toEqual([]);
  });
});
