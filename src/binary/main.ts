/**
 * The entry of the single binary `dist/spew` (scripts/build-binary.mjs bundles it into one
 * CommonJS file for Node's single-executable mode). The same dispatch as bin/run.js; package.json
 * and the build info are assets inside the executable, and oclif, which would look for them
 * beside the program, is handed them here.
 */
import { dirname } from 'node:path';
import type { Interfaces } from '@oclif/core';
import { runCli } from '../cli/entry.js';
import { versionLine } from '../cli/version-line.js';
import { readPackageFile } from '../common/package-file.js';

const root = dirname(process.execPath);

runCli(process.argv.slice(2), {
  versionLine: () => versionLine(root),
  async runOclif() {
    const { Config, execute } = await import('@oclif/core');
    const pjson = JSON.parse(await readPackageFile(root, 'package.json')) as Interfaces.PJSON;
    await execute({ loadOptions: await Config.load({ root, pjson }) });
  },
}).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
