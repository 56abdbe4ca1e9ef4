/**
 * What `spew --version` prints: `spew/VERSION`, plus the commit the build was made from when the
 * build recorded one in `dist/build-info.json`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `root` is the package directory, the one holding package.json and dist/. */
export async function versionLine(root: string): Promise<string> {
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  const commit = await readCommit(join(root, 'dist', 'build-info.json'));
  return commit ? `spew/${version} (${commit})` : `spew/${version}`;
}

async function readCommit(file: string): Promise<string | undefined> {
  try {
    const { commit } = JSON.parse(await readFile(file, 'utf8')) as { commit?: unknown };
    return typeof commit === 'string' && commit !== '' ? commit : undefined;
  } catch {
    // No build info (a development tree) or an unreadable one: the version alone is still right.
    return undefined;
  }
}
