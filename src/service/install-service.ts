/**
 * `spew service install`: writes the service script for a host that did not get spew from a
 * package, like `pm2 startup` does; and, when the config the service runs with does not exist
 * yet, a config that leaves every key at its default, so the service can start at once.
 */
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readPackageFile } from '../common/package-file.js';
import { INIT_SYSTEM_FACTS, type InitSystem } from './init-system.js';
import { renderServiceScript, type ServiceSettings } from './service-script.js';

export interface InstallRequest extends ServiceSettings {
  system: InitSystem;
  /** Where the script goes; the init system's own place for `name` when not given. */
  output?: string;
  /** The package directory, whose init/ holds the templates (the binary carries them inside). */
  packageRoot: string;
}

export interface InstallReport {
  script: string;
  /** The config written because there was none; undefined when one was there already. */
  configWritten?: string;
  nextSteps: string[];
}

/** Writing a file failed; the message names the file and why. */
export class InstallError extends Error {}

const DEFAULT_CONFIG = [
  '# spew instance config, written by `spew service install`. Every key is at its default (for',
  '# root: socket /run/spew/spew.sock, mode 0660; state in /var/lib/spew; logs in /var/log/spew;',
  '# appliance files from /etc/spew/appliances.d/*.toml). The keys are listed in the README,',
  '# "Instance config"; e.g. socket_group = "NAME" lets that group\'s members use the socket.',
  '',
].join('\n');

export async function installService(request: InstallRequest): Promise<InstallReport> {
  const facts = INIT_SYSTEM_FACTS[request.system];
  const template = await readPackageFile(request.packageRoot, facts.template);
  const script = request.output ?? facts.installPath(request.name);
  // The config first: a script that runs on a config that could not be written is no use.
  const configWritten = (await writeNew(request.config, DEFAULT_CONFIG, { mode: 0o644, exclusive: true })) ? request.config : undefined;
  await writeNew(script, renderServiceScript(request.system, template, request), { mode: facts.mode });
  return { script, configWritten, nextSteps: facts.nextSteps(request.name) };
}

/** Answers false when `exclusive` and the file exists already (it is left as it is). */
async function writeNew(path: string, text: string, opts: { mode: number; exclusive?: boolean }): Promise<boolean> {
  try {
    await ensureDirectory(dirname(path));
    await writeFile(path, text, { mode: opts.mode, flag: opts.exclusive ? 'wx' : 'w' });
    // A script that was there before keeps its old mode through writeFile.
    await chmod(path, opts.mode);
    return true;
  } catch (err) {
    const { code } = err as NodeJS.ErrnoException;
    if (opts.exclusive && code === 'EEXIST') return false;
    throw new InstallError(`cannot write ${path}: ${describeErrno(err as NodeJS.ErrnoException)}`, { cause: err });
  }
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir never returns for a path under /proc,
 * where mkdir fails with ENOENT whatever exists.
 */
async function ensureDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const kind = await fileKind(d);
    if (kind === 'directory') break;
    if (kind === 'other') throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) await mkdir(d, { mode: 0o755 });
}

async function fileKind(path: string): Promise<'directory' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  ENOSPC: 'no space left on the device',
};

function describeErrno(err: NodeJS.ErrnoException): string {
  const words = err.code ? ERRNO_WORDS[err.code] : undefined;
  return words ? `${words} (${err.code})` : err.message;
}
