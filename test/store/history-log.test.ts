import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';
import { HistoryLog } from '../../src/store/history-log.js';
import { VersionHistory } from '../../src/store/version-history.js';

const def = (ref: string, command: string) => ({ name: ref, ref, command }) as unknown as ApplianceDefinition;

describe('HistoryLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spew-history-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function versionsOf(ref: string, n: number) {
    const h = new VersionHistory(ref, []);
    for (let i = 1; i <= n; i++) h.add(def(ref, `c${i}`), { item: {}, defaults: {} }, { kind: 'api' }, new Date(), 50, null);
    return h.versions;
  }

  it('reads back what was appended, by ref, in one batch for appends made together', async () => {
    const log = new HistoryLog(dir);
    const [a, b] = [versionsOf('a', 2), versionsOf('b', 1)];
    await Promise.all([log.append('a', a[0]!), log.append('b', b[0]!), log.append('a', a[1]!)]);
    const loaded = new HistoryLog(dir).load();
    expect(loaded.get('a')).toEqual(a);
    expect(loaded.get('b')).toEqual(b);
  });

  it('skips a line cut short by a kill -9 and rewrites the file at compaction', async () => {
    const log = new HistoryLog(dir);
    const a = versionsOf('a', 1);
    await log.append('a', a[0]!);
    appendFileSync(join(dir, 'history.log'), '{"ref":"a","version":2,"ti');
    const again = new HistoryLog(dir);
    const loaded = again.load();
    expect(loaded.get('a')).toEqual(a);
    await again.compact(loaded);
    expect(readFileSync(join(dir, 'history.log'), 'utf8').endsWith('}\n')).toBe(true);
    await again.append('a', versionsOf('a', 2)[1]!);
    expect(new HistoryLog(dir).load().get('a')?.map((v) => v.version)).toEqual([1, 2]);
  });

  it('leaves the file alone when it holds exactly what is kept', async () => {
    const log = new HistoryLog(dir);
    const a = versionsOf('a', 1);
    await log.append('a', a[0]!);
    const before = readFileSync(join(dir, 'history.log'), 'utf8');
    const again = new HistoryLog(dir);
    await again.compact(again.load());
    expect(readFileSync(join(dir, 'history.log'), 'utf8')).toBe(before);
    await again.compact(new Map());
    expect(readFileSync(join(dir, 'history.log'), 'utf8')).toBe('');
  });
});
