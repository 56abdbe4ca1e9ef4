import { execFileSync } from 'node:child_process';
import { ensureDockerEngine, type DockerEngine } from './docker-engine.js';

let engine: DockerEngine | undefined;

/**
 * Integration tests drive the built CLI (`bin/run.js` -> `dist/`), so build once up front; the
 * Docker runner and image tests need a real engine, started here when none answers.
 */
export default async function setup(): Promise<() => Promise<void>> {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  engine = await ensureDockerEngine();
  return async () => {
    // Only an engine these tests started is stopped; one the machine already ran is left alone.
    if (engine?.startedByUs) await engine.stop();
  };
}
