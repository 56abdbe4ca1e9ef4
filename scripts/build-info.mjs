// Records the commit a build was made from, for `spew --version`; a tree without git records none.
import { writeFileSync } from 'node:fs';
import { gitCommit } from './git-commit.mjs';

writeFileSync(new URL('../dist/build-info.json', import.meta.url), JSON.stringify({ commit: gitCommit() }));
