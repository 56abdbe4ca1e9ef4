import { execFileSync } from 'node:child_process';

/** Integration tests drive the built CLI (`bin/run.js` -> `dist/`), so build once up front. */
export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}
