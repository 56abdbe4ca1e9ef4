/**
 * The agent runs as root, so every file it creates, appends to or reads back in its state and
 * log dirs is opened as its own: never through a symbolic link (O_NOFOLLOW: a link planted
 * where a log or a temp file goes would have root write wherever it points), and only when it
 * is of the kind expected and owned by the agent's user. The dirs themselves must be the
 * agent's alone: one that others may write to is refused (see `checkPrivateDir`), since no
 * check on a file can stop whoever may rename things inside its dir.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SpewError } from './errors.js';

const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR, O_WRONLY } = constants;

/** Flags for the ways the agent opens its files; each carries O_NOFOLLOW. */
export const OPEN = {
  read: O_RDONLY | O_NOFOLLOW,
  append: O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW,
  readAppend: O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW,
  readWrite: O_RDWR | O_CREAT | O_NOFOLLOW,
  /** A new file that must not exist yet (a temp file, a lock). */
  create: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
} as const;

export type FileKind = 'file' | 'fifo';

function uid(): number {
  return process.geteuid?.() ?? 0;
}

function gid(): number {
  return process.getegid?.() ?? 0;
}

function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isFile()) return 'a file';
  return 'a device or socket';
}

/** Why a file the agent opened is not one of its own, or undefined when it is. */
function foreign(stats: Stats, kind: FileKind): string | undefined {
  const ok = kind === 'file' ? stats.isFile() : stats.isFIFO();
  if (!ok) return `is ${kindOf(stats)}, not ${kind === 'file' ? 'a regular file' : 'a FIFO'}`;
  if (stats.uid !== uid()) return `is owned by uid ${stats.uid}, not by the agent (uid ${uid()})`;
  return undefined;
}

function refuse(path: string, why: string): SpewError {
  return new SpewError('UNSAFE_PATH', `${path} ${why}; the agent does not use it`);
}

function openError(path: string, err: unknown): unknown {
  // O_NOFOLLOW on a link fails with ELOOP: say what was there.
  return (err as NodeJS.ErrnoException).code === 'ELOOP' ? refuse(path, 'is a symbolic link') : err;
}

/** Opens one of the agent's own files (see the top of this file); the caller closes it. */
export function openOwnFile(path: string, flags: number, mode = 0o600, kind: FileKind = 'file'): number {
  let fd: number;
  try {
    fd = openSync(path, flags | O_NOFOLLOW, mode);
  } catch (err) {
    throw openError(path, err);
  }
  const why = foreign(fstatSync(fd), kind);
  if (why === undefined) return fd;
  closeSync(fd);
  throw refuse(path, why);
}

/** `openOwnFile` for the promise API. */
export async function openOwnFileAsync(path: string, flags: number, mode = 0o600): Promise<FileHandle> {
  let file: FileHandle;
  try {
    file = await open(path, flags | O_NOFOLLOW, mode);
  } catch (err) {
    throw openError(path, err);
  }
  const why = foreign(await file.stat(), 'file');
  if (why === undefined) return file;
  await file.close();
  throw refuse(path, why);
}

/** The text of one of the agent's own files, or undefined when there is none. */
export function readOwnFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openOwnFile(path, OPEN.read);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** `readOwnFile` for the promise API. */
export async function readOwnFileAsync(path: string): Promise<string | undefined> {
  let file: FileHandle;
  try {
    file = await openOwnFileAsync(path, OPEN.read);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return await readFile(file, 'utf8');
  } finally {
    await file.close();
  }
}

/** Why others may change what is inside this dir, or undefined when they may not. */
function openToOthers(stats: Stats, last: boolean): string | undefined {
  if (stats.uid !== 0 && stats.uid !== uid()) return `is owned by uid ${stats.uid}`;
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
  // Sticky (like /tmp): others may add entries but not rename or remove ours. Good enough on
  // the way there, not for the dir itself, where they could squat the names the agent uses.
  const sticky = !last && (stats.mode & 0o1000) !== 0;
  if ((stats.mode & 0o002) !== 0 && !sticky) return `is writable by everyone (mode ${mode})`;
  if ((stats.mode & 0o020) !== 0 && stats.gid !== gid() && !sticky) return `is writable by group ${stats.gid} (mode ${mode})`;
  return undefined;
}

/**
 * Refuses a dir the agent keeps things in as root (`what`: "state_dir /var/lib/spew") when
 * anyone but the agent, root or the agent's own group could change what is in it: through the
 * dir itself or any dir above it.
 */
export function checkPrivateDir(path: string, what: string): void {
  const real = realpathSync(path);
  const lastStats = lstatSync(real);
  if (!lastStats.isDirectory()) throw new SpewError('UNSAFE_PATH', `${what}: ${real} is not a directory`);
  if (lastStats.uid !== uid()) {
    throw new SpewError('UNSAFE_PATH', `${what}: ${real} is owned by uid ${lastStats.uid}, not by the agent (uid ${uid()}); chown it or choose another`);
  }
  let dir = real;
  for (;;) {
    const why = openToOthers(statSync(dir), dir === real);
    if (why !== undefined) {
      const where = dir === real ? `${real}` : `${dir}, above it,`;
      throw new SpewError('UNSAFE_PATH', `${what}: unsafe: ${where} ${why}, so others could replace what the agent writes there as uid ${uid()}; chmod go-w ${dir} or choose another`);
    }
    const up = dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/** Makes a dir of the agent's own below a checked one (a run dir, the appliance logs). */
export function makeOwnDir(path: string, mode = 0o700): void {
  mkdirSync(path, { recursive: true, mode });
  const stats = lstatSync(path);
  if (!stats.isDirectory() || stats.uid !== uid()) throw refuse(path, `is ${kindOf(stats)} owned by uid ${stats.uid}`);
}
