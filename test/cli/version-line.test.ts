import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { versionLine } from '../../src/cli/version-line.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'spew-version-'));
  await writeFile(join(root, 'package.json'), JSON.stringify({ version: '1.2.3' }));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('versionLine', () => {
  it('is spew/VERSION when the build recorded no commit', async () => {
    expect(await versionLine(root)).toBe('spew/1.2.3');
  });

  it('adds the commit from dist/build-info.json', async () => {
    await mkdir(join(root, 'dist'));
    await writeFile(join(root, 'dist', 'build-info.json'), JSON.stringify({ commit: 'abc1234' }));
    expect(await versionLine(root)).toBe('spew/1.2.3 (abc1234)');
  });
});
