/**
 * Files that ship with spew: package.json, dist/build-info.json, the service scripts in init/.
 * From a package tree they are read from its directory; the single binary has no directory, so
 * its build puts them inside the executable as assets under the same relative names.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether this process is the single binary (a single-executable application). */
export async function isSingleBinary(): Promise<boolean> {
  return (await seaModule())?.isSea() ?? false;
}

/** `root` is the package directory, the one holding package.json; the binary ignores it. */
export async function readPackageFile(root: string, relativePath: string): Promise<string> {
  const sea = await seaModule();
  if (sea?.isSea()) return sea.getAsset(relativePath, 'utf8');
  return readFile(join(root, relativePath), 'utf8');
}

async function seaModule(): Promise<typeof import('node:sea') | undefined> {
  try {
    return await import('node:sea');
  } catch {
    // Node 20 before 20.12 has no node:sea; the binary's runtime always has.
    return undefined;
  }
}
