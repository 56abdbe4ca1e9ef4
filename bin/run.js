#!/usr/bin/env node
// The commands scripts run in loops are answered before oclif loads: loading oclif imports every
// command class, which costs more than the work itself. Anything else goes through oclif.
const argv = process.argv.slice(2);
if (argv[0] === '--version') {
  const { fileURLToPath } = await import('node:url');
  const { versionLine } = await import('../dist/cli/version-line.js');
  console.log(await versionLine(fileURLToPath(new URL('..', import.meta.url))));
} else {
  const { plainStatusRequest, showStatus } = await import('../dist/cli/show-status.js');
  const request = plainStatusRequest(argv);
  if (request) {
    const { SpewError } = await import('../dist/common/errors.js');
    const { cliErrorLine } = await import('../dist/cli/cli-error-line.js');
    try {
      console.log(await showStatus(request));
    } catch (err) {
      if (!(err instanceof SpewError)) throw err;
      console.error(cliErrorLine(err));
      process.exitCode = 1;
    }
  } else {
    const { execute } = await import('@oclif/core');
    await execute({ dir: import.meta.url });
  }
}
