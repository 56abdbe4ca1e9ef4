/**
 * The CLI's dispatch, shared by `bin/run.js` and the single binary (`src/binary/main.ts`): the
 * commands scripts run in loops are answered before oclif loads, because loading oclif imports
 * every command class, which costs more than the work itself. Anything else goes to oclif.
 * Each branch loads only what it needs, so keep the imports below dynamic.
 */
export interface CliEntry {
  /** What `--version` prints; the two entries know the version and commit in different ways. */
  versionLine(): Promise<string>;
  /** Runs oclif on the process's arguments. */
  runOclif(): Promise<void>;
}

export async function runCli(argv: readonly string[], entry: CliEntry): Promise<void> {
  if (argv[0] === 'agent') {
    // First of all: the agent runs as root, and Node's inspector must never open in it.
    const { closeDebuggerDoor } = await import('../common/debugger-door.js');
    if (closeDebuggerDoor()) console.error('spew agent: an inspector was open (--inspect or an early SIGUSR1); it is closed now');
    // Before loading anything else: the agent's young generation is not to grow (heap-footprint.ts).
    const { keepYoungGenerationSmall } = await import('../common/heap-footprint.js');
    keepYoungGenerationSmall();
  }
  if (argv[0] === '--version') {
    console.log(await entry.versionLine());
    return;
  }
  const { plainStatusRequest, showStatus } = await import('./show-status.js');
  const request = plainStatusRequest(argv);
  if (!request) {
    await entry.runOclif();
    return;
  }
  const { SpewError } = await import('../common/errors.js');
  const { cliErrorLine } = await import('./cli-error-line.js');
  try {
    console.log(await showStatus(request));
  } catch (err) {
    if (!(err instanceof SpewError)) throw err;
    console.error(cliErrorLine(err));
    process.exitCode = 1;
  }
}
