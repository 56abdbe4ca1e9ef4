import { chmodSync, chownSync, closeSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPrivateDir, makeOwnDir, OPEN, openOwnFile, readOwnFile } from '../../src/common/own-files.js';

const root = process.getuid?.() === 0;

describe('own files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spew-own-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends to a file of its own, creating it', () => {
    const path = join(dir, 'log');
    for (const text of ['one\n', 'two\n']) {
      const fd = openOwnFile(path, OPEN.append);
      writeSync(fd, text);
      closeSync(fd);
    }
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
  });

  it('never writes through a symbolic link, and leaves its target alone', () => {
    const target = join(dir, 'precious');
    writeFileSync(target, 'keep me\n');
    const link = join(dir, 'log');
    symlinkSync(target, link);
    expect(() => openOwnFile(link, OPEN.append)).toThrow(`${link} is a symbolic link; the agent does not use it`);
    expect(() => readOwnFile(link)).toThrow(/is a symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('keep me\n');
  });

  it('refuses a file of the wrong kind', () => {
    mkdirSync(join(dir, 'sub'));
    expect(() => openOwnFile(join(dir, 'sub'), OPEN.read)).toThrow(/is a directory, not a regular file/);
  });

  it.runIf(root)('refuses a file someone else owns', () => {
    const path = join(dir, 'theirs');
    writeFileSync(path, 'x');
    chownSync(path, 65534, 65534);
    expect(() => openOwnFile(path, OPEN.append)).toThrow(/is owned by uid 65534, not by the agent \(uid 0\)/);
  });

  it('answers undefined for a file that is not there', () => {
    expect(readOwnFile(join(dir, 'nothing'))).toBeUndefined();
  });

  it('makes its own dirs, and refuses a link where one should be', () => {
    makeOwnDir(join(dir, 'a', 'b'));
    symlinkSync(dir, join(dir, 'link'));
    expect(() => makeOwnDir(join(dir, 'link'))).toThrow(/is a symbolic link/);
  });
});

describe('checkPrivateDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spew-private-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a dir only the agent may write to, below a sticky /tmp', () => {
    const state = join(dir, 'state');
    mkdirSync(state, { mode: 0o750 });
    expect(() => checkPrivateDir(state, 'state_dir')).not.toThrow();
  });

  it('refuses a dir anyone may write to, saying what to do', () => {
    const state = join(dir, 'state');
    mkdirSync(state);
    chmodSync(state, 0o777);
    expect(() => checkPrivateDir(state, `state_dir ${state}`)).toThrow(
      `state_dir ${state}: unsafe: ${state} is writable by everyone (mode 0777), so others could replace what the agent writes there`,
    );
    chmodSync(state, 0o1777);
    expect(() => checkPrivateDir(state, 'state_dir')).toThrow(/writable by everyone \(mode 1777\)/);
  });

  it('refuses a dir whose parent anyone may write to', () => {
    chmodSync(dir, 0o777);
    const state = join(dir, 'state');
    mkdirSync(state, { mode: 0o700 });
    expect(() => checkPrivateDir(state, 'state_dir')).toThrow(`${dir}, above it, is writable by everyone`);
  });

  it.runIf(root)('refuses a dir another user owns, or one a group other than its own may write to', () => {
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    expect(() => checkPrivateDir(theirs, 'log_dir')).toThrow(/is owned by uid 65534, not by the agent/);
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o770);
    chownSync(shared, 0, 65534);
    expect(() => checkPrivateDir(shared, 'log_dir')).toThrow(/is writable by group 65534 \(mode 0770\)/);
    chownSync(shared, 0, 0);
    expect(() => checkPrivateDir(shared, 'log_dir')).not.toThrow();
  });

  it('follows a link to the dir it names and checks the dir itself', () => {
    const real = join(dir, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(dir, 'alias'));
    expect(() => checkPrivateDir(join(dir, 'alias'), 'state_dir')).not.toThrow();
    chmodSync(real, 0o777);
    expect(() => checkPrivateDir(join(dir, 'alias'), 'state_dir')).toThrow(`${real} is writable by everyone`);
  });
});
