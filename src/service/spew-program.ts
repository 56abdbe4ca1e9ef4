/**
 * The program a service script should run to start this very spew: the single binary itself,
 * or, from a package tree, its bin/run.js (which finds Node on PATH).
 */
import { join } from 'node:path';
import { isSingleBinary } from '../common/package-file.js';

export async function spewProgram(packageRoot: string): Promise<string> {
  return (await isSingleBinary()) ? process.execPath : join(packageRoot, 'bin', 'run.js');
}
