import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readPackageFile } from '../../src/common/package-file.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('readPackageFile', () => {
  it('reads a file by its path in the package tree (outside the single binary)', async () => {
    root = mkdtempSync(join(tmpdir(), 'spew-package-'));
    mkdirSync(join(root, 'init', 'sysv'), { recursive: true });
    writeFileSync(join(root, 'init', 'sysv', 'spew'), '#!/bin/sh\n');
    expect(await readPackageFile(root, 'init/sysv/spew')).toBe('#!/bin/sh\n');
    await expect(readPackageFile(root, 'missing.json')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
