import { describe, expect, it } from 'vitest';
import { painter, shouldColour } from '../../src/cli/style.js';

describe('shouldColour', () => {
  it('colours a terminal only', () => {
    expect(shouldColour({ isTTY: true }, {})).toBe(true);
    expect(shouldColour({ isTTY: false }, {})).toBe(false);
    expect(shouldColour({}, {})).toBe(false);
  });

  it('respects NO_COLOR', () => {
    expect(shouldColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
  });
});

describe('painter', () => {
  it('wraps styled text in ANSI codes and leaves the rest alone', () => {
    expect(painter(true)('up', 'green')).toBe('\u001b[32mup\u001b[0m');
    expect(painter(true)('up', undefined)).toBe('up');
    expect(painter(false)('up', 'green')).toBe('up');
  });
});
