#!/usr/bin/env node
// The CLI from the built tree (dist/). The dispatch, with its fast paths for `--version` and
// plain `status`, is src/cli/entry.ts; the single binary runs the same one.
const { runCli } = await import('../dist/cli/entry.js');
await runCli(process.argv.slice(2), {
  async versionLine() {
    const { fileURLToPath } = await import('node:url');
    const { versionLine } = await import('../dist/cli/version-line.js');
    return versionLine(fileURLToPath(new URL('..', import.meta.url)));
  },
  async runOclif() {
    const { execute } = await import('@oclif/core');
    await execute({ dir: import.meta.url });
  },
});
