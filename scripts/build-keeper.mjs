// Builds the one helper spew has in C, dist/helpers/spew-keeper (src/runners/keeper/spew-keeper.c),
// statically linked so that the single binary can carry it to any Linux x86-64 host. Part of
// `npm run build`; needs a C compiler and the C library's static archive (Debian: gcc, libc6-dev).
// `node scripts/build-keeper.mjs [--out FILE]`.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { out: { type: 'string', default: `${root}dist/helpers/spew-keeper` } } });
const out = resolve(values.out);
mkdirSync(dirname(out), { recursive: true });
const cc = process.env.CC ?? 'cc';
try {
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-static', '-o', out, `${root}src/runners/keeper/spew-keeper.c`], { stdio: ['ignore', 'inherit', 'inherit'] });
} catch (err) {
  console.error(`build-keeper: ${cc} failed${err.code === 'ENOENT' ? ': no C compiler (Debian packages gcc and libc6-dev)' : ''}`);
  process.exit(1);
}
