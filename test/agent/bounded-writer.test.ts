import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BoundedWriter } from '../../src/agent/bounded-writer.js';

/** A reader that takes nothing until told to, then everything. */
function slowReader(): { out: Writable; taken: string[]; read: () => Promise<void> } {
  const taken: string[] = [];
  let release: (() => void) | undefined;
  let gate = new Promise<void>((resolve) => (release = resolve));
  const out = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, done) {
      taken.push(chunk.toString());
      void gate.then(() => done());
    },
  });
  return {
    out,
    taken,
    read: async () => {
      release?.();
      gate = Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
  };
}

describe('BoundedWriter', () => {
  it('writes everything to a reader that keeps up', async () => {
    const out = new PassThrough();
    const writer = new BoundedWriter(out, (n) => `skipped ${n}\n`, 100);
    for (let i = 0; i < 50; i++) {
      writer.write(`${i}\n`);
      out.read();
    }
    expect(out.read()).toBeNull();
  });

  it('skips past its bound for a slow reader, and tells it how many it missed once it caught up', async () => {
    const reader = slowReader();
    const writer = new BoundedWriter(reader.out, (n) => `[skipped ${n}]`, 40);
    for (let i = 0; i < 100; i++) writer.write(`line ${String(i).padStart(3, '0')}\n`);
    // Held for the reader: what fits under the bound, never the hundred.
    expect(reader.out.writableLength).toBeLessThan(40 + 10);
    await reader.read();
    writer.write('after\n');
    await reader.read();
    const text = reader.taken.join('');
    const kept = text.match(/line \d+/g) ?? [];
    expect(kept.length).toBeLessThan(100);
    expect(text).toContain(`[skipped ${100 - kept.length}]`);
    expect(text.endsWith('after\n')).toBe(true);
  });
});
