// The commit a build is made from, for `spew --version`; a tree without git has none ('').
import { execFileSync } from 'node:child_process';

export function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // Not a git checkout: the version alone is still right.
    return '';
  }
}
