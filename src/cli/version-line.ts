/**
 * What `spew --version` prints: `spew/VERSION`, plus the commit the build was made from when the
 * build recorded one in `dist/build-info.json`.
 */
import { readPackageFile } from '../common/package-file.js';

/** `root` is the package directory, the one holding package.json and dist/. */
export async function versionLine(root: string): Promise<string> {
  const { version } = JSON.parse(await readPackageFile(root, 'package.json')) as { version: string };
  const commit = await readCommit(root);
  return commit ? `spew/${version} (${commit})` : `spew/${version}`;
}

async function readCommit(root: string): Promise<string | undefined> {
  try {
    const { commit } = JSON.parse(await readPackageFile(root, 'dist/build-info.json')) as { commit?: unknown };
    return typeof commit === 'string' && commit !== '' ? commit : undefined;
  } catch {
    // No build info (a development tree) or an unreadable one: the version alone is still right.
    return undefined;
  }
}
