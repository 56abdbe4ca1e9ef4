// Records the commit a build was made from, for `spew --version`; a tree without git records none.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

let commit = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  // Not a git checkout: the version alone is still right.
}
writeFileSync(new URL('../dist/build-info.json', import.meta.url), JSON.stringify({ commit }));
