#!/usr/bin/env node
// `--version` is answered before oclif loads, because loading oclif imports every command class.
if (process.argv[2] === '--version') {
  const { fileURLToPath } = await import('node:url');
  const { versionLine } = await import('../dist/cli/version-line.js');
  console.log(await versionLine(fileURLToPath(new URL('..', import.meta.url))));
} else {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
}
