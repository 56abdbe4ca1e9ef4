// Figure 11: the single binary (`npm run build:binary`): how long the build takes, how big the
// binary is, and the start-up of the two commands scripts run in loops, `dist/spew --version`
// and `dist/spew status` with an agent running 100 appliances (targets: 120 ms and 200 ms).
// The agent is the one every part runs (node bin/run.js agent): the figure is the CLI's.
// `node bin/run.js --version` and `node -e 0` run in the same rounds, for comparison.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntilRunning } from './fleet.js';
import {
  CLI, REPO, apiClient, fleetFile, fmt, makeTemp, median, nowMs, percentile, startAgent, stopAgent, timeCommand, writeInstance,
} from './lib.js';

export const BINARY_FLEET = 100;
const RUNS = 30;
const BINARY = join(REPO, 'dist', 'spew');

function buildBinary(log) {
  const start = nowMs();
  const result = spawnSync('npm', ['run', '--silent', 'build:binary'], { cwd: REPO, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build:binary failed:\n${result.stdout}${result.stderr}`);
  const seconds = (nowMs() - start) / 1000;
  log(`  npm run build:binary: ${fmt(seconds)} s`);
  return seconds;
}

export async function runBinary(log, { build = true } = {}) {
  const buildS = build ? buildBinary(log) : NaN;
  if (!existsSync(BINARY)) throw new Error(`no ${BINARY}: run without --no-build, or npm run build:binary`);
  const sizeMb = statSync(BINARY).size / 2 ** 20;
  log(`  dist/spew: ${fmt(sizeMb)} MiB`);

  const dir = makeTemp('binary');
  const instance = writeInstance(dir, { appliances: fleetFile(BINARY_FLEET) });
  const agent = startAgent(instance, { label: 'binary' });
  try {
    await pollUntilRunning(agent, await apiClient(instance.socket), BINARY_FLEET);
    // The commands take turns, so that each sees the same machine; the first round warms the
    // page cache (the binary is 100 MiB) and is left out.
    const commands = {
      version: [BINARY, '--version'],
      status: [BINARY, 'status', '--socket', instance.socket],
      nodeVersion: [process.execPath, CLI, '--version'],
      bareNode: [process.execPath, '-e', '0'],
    };
    const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
    for (let i = 0; i <= RUNS; i++) {
      for (const [name, argv] of Object.entries(commands)) {
        const result = await timeCommand(argv);
        if (result.code !== 0) throw new Error(`${argv.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
        if (i > 0) times[name].push(result.ms);
      }
    }
    const line = (name, values) => `  ${name.padEnd(44)} median ${fmt(median(values), 0).padStart(4)} ms  p90 ${fmt(percentile(values, 90), 0).padStart(4)} ms`;
    log(line('dist/spew --version', times.version));
    log(line(`dist/spew status (${BINARY_FLEET} appliances)`, times.status));
    log(line('node bin/run.js --version', times.nodeVersion));
    log(line('node -e 0 (Node startup floor)', times.bareNode));
    return {
      buildS,
      sizeMb,
      versionMedian: median(times.version),
      versionP90: percentile(times.version, 90),
      statusMedian: median(times.status),
      statusP90: percentile(times.status, 90),
      nodeVersionMedian: median(times.nodeVersion),
      nodeMedian: median(times.bareNode),
    };
  } finally {
    await stopAgent(agent);
  }
}
