import { describe, expect, it } from 'vitest';
import { LateBound } from '../../src/agent/late-bound.js';

describe('LateBound', () => {
  it('hands out the value once it is bound', () => {
    const later = new LateBound<{ n: number }>('the manager');
    const use = (): number => later.get().n;
    later.bind({ n: 3 });
    expect(use()).toBe(3);
  });

  it('names the value used before the boot made it, and refuses a second binding', () => {
    const later = new LateBound<number>('the manager');
    expect(() => later.get()).toThrow('the manager is used before the boot has made it');
    later.bind(1);
    expect(() => later.bind(2)).toThrow('the manager is bound already');
  });
});
