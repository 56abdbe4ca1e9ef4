import { shorthandPolicy } from '../../src/model/restart-policy.js';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expandIncludes, loadApplianceFiles, parseApplianceFile } from '../../src/config/appliance-file.js';
import { ConfigError } from '../../src/config/config-error.js';
import { positionOf } from './position-of.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const fixture = (name: string) => path.join(fixtures, name);
const instanceDefaults = { stop_timeout_ms: 10_000, depends_timeout_ms: 60_000 };

/** `file:line:col` of `needle` in `text`. */
function at(file: string, text: string, needle: string, occurrence = 1): string {
  const { line, column } = positionOf(text, needle, occurrence);
  return `${file}:${line}:${column}`;
}

/** The ConfigError a parse throws, one formatted problem per entry. */
function problems(text: string, file = 'apps.toml'): string[] {
  try {
    parseApplianceFile(file, text, instanceDefaults);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseApplianceFile', () => {
  it('reads one appliance per top-level table, with the spec from its key', async () => {
    const text = await readFile(fixture('valid/shop.toml'), 'utf8');
    const items = parseApplianceFile('shop.toml', text, instanceDefaults);
    expect(items.map((i) => [i.spec, i.file, i.line])).toEqual([
      [{ name: 'web', options: {} }, 'shop.toml', positionOf(text, '[web]').line],
      [{ name: 'worker', options: { queue: 'jobs', zone: 'eu' } }, 'shop.toml', positionOf(text, '["worker').line],
    ]);
  });

  it('merges the _ defaults into every item, tables key by key, the item winning', async () => {
    const items = parseApplianceFile('shop.toml', await readFile(fixture('valid/shop.toml'), 'utf8'), instanceDefaults);
    const [web, worker] = items.map((i) => i.opts);
    expect(web).toEqual({
      type: 'shell',
      command: 'node server.js',
      env: { LOG_LEVEL: 'info', REGION: 'us', PORT: '8080' },
      runneropts: {},
      restart: shorthandPolicy('crash'),
      watchers: [],
      monitors: [],
      depends_timeout_ms: 60_000,
      depends: [{ name: 'db', options: { vsn: '~>15' } }],
      hooks: {},
      stop_signal: 'SIGTERM',
      stop_timeout_ms: 5_000,
      stdin: false,
    });
    expect(worker).toMatchObject({
      command: ['node', 'worker.js'],
      env: { LOG_LEVEL: 'info', REGION: 'eu' },
      restart: shorthandPolicy('never'),
      stop_signal: 'SIGINT',
      stop_timeout_ms: 5_000,
      hooks: { crash: [{ post: 'https://hooks.example.com/crash', timeout_ms: 2_000 }] },
    });
  });

  it('merges nested tables of _ deeply', () => {
    const text = '[_]\nrunneropts = { a = { x = 1, y = 2 }, b = 1 }\n[web]\ncommand = "x"\nrunneropts = { a = { y = 3 } }\n';
    expect(parseApplianceFile('f.toml', text, instanceDefaults)[0]!.opts.runneropts).toEqual({ a: { x: 1, y: 3 }, b: 1 });
  });

  it('lets an item replace an inherited array rather than extend it', () => {
    const text = '[_]\ndepends = ["db"]\n[web]\ncommand = "x"\ndepends = ["cache"]\n[api]\ncommand = "y"\n';
    const [web, api] = parseApplianceFile('f.toml', text, instanceDefaults);
    expect(web!.opts.depends).toEqual([{ name: 'cache', options: {} }]);
    expect(api!.opts.depends).toEqual([{ name: 'db', options: {} }]);
  });

  it('uses the instance stop timeout when neither the item nor _ sets one', () => {
    const [db] = parseApplianceFile('db.toml', '[db]\ncommand = "x"\n', { stop_timeout_ms: 42_000, depends_timeout_ms: 60_000 });
    expect(db!.opts.stop_timeout_ms).toBe(42_000);
  });

  it('reads an empty file as no appliances', () => {
    expect(parseApplianceFile('empty.toml', '# nothing yet\n', instanceDefaults)).toEqual([]);
  });

  it('allows dependencies on appliances that are not in the file', () => {
    expect(parseApplianceFile('f.toml', '[web]\ncommand = "x"\ndepends = ["elsewhere"]\n', instanceDefaults)).toHaveLength(1);
  });

  it('reports a syntax error as file:line:col: message', async () => {
    const file = fixture('invalid/syntax.toml');
    const text = await readFile(file, 'utf8');
    expect(problems(text, 'syntax.toml')).toEqual([`${at('syntax.toml', text, 'always')}: Expected equal (=) token`]);
  });

  it('reports a key defined twice as a syntax error at the second definition', () => {
    const text = '[web]\ncommand = "a"\ncommand = "b"\n';
    expect(problems(text)).toEqual([`${at('apps.toml', text, 'command', 2)}: Defining a key multiple times is invalid`]);
  });

  it('collects every problem of the file, each at its key, in file order', async () => {
    const text = await readFile(fixture('invalid/many-problems.toml'), 'utf8');
    const f = 'many.toml';
    expect(problems(text, f)).toEqual([
      `${at(f, text, 'stdin')}: _.stdin: expected true or false, got a string`,
      `${at(f, text, 'web]')}: web.command: missing: give a string to run with /bin/sh -c, or an array of strings (argv)`,
      `${at(f, text, 'comand')}: web.comand: unknown key; did you mean command?`,
      `${at(f, text, 'restart')}: web.restart: expected one of true, false, "always", "crash", "never", or a table`,
      `${at(f, text, 'PORT')}: web.env.PORT: expected a string, got an integer; quote it: "8080"`,
      `${at(f, text, '"web"]')}: web.depends[1]: an appliance cannot depend on itself`,
      `${at(f, text, 'stop_signal')}: worker.stop_signal: unknown signal "SIGNOPE"`,
      `${at(f, text, 'run')}: worker.hooks.start[0].run: must not be empty`,
    ]);
  });

  it('gives exact positions for a representative problem', () => {
    const text = ['# web front end', '[web]', 'command = "x"', '  restart = "sometimes"', ''].join('\n');
    let error: unknown;
    try {
      parseApplianceFile('examples/web.toml', text, instanceDefaults);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      { file: 'examples/web.toml', line: 4, column: 3, keyPath: 'web.restart', message: 'expected one of true, false, "always", "crash", "never", or a table' },
    ]);
    expect((error as ConfigError).message).toBe(
      'examples/web.toml:4:3: web.restart: expected one of true, false, "always", "crash", "never", or a table',
    );
  });

  it('points at the key part that is wrong in a dotted key', () => {
    const text = '[web]\ncommand = "x"\nenv.PORT = 80\n';
    expect(problems(text)).toEqual([`${at('apps.toml', text, 'PORT')}: web.env.PORT: expected a string, got an integer; quote it: "80"`]);
  });

  it('points at the array element that is wrong', () => {
    const text = '[web]\ncommand = ["node", 3]\n';
    expect(problems(text)).toEqual([`${at('apps.toml', text, '3')}: web.command[1]: expected a string, got an integer`]);
  });

  it('quotes a spec key with options in the key path', () => {
    const text = '["web#vsn:~>2.0"]\ncommand = "x"\nstdin = 1\n';
    expect(problems(text)).toEqual([`${at('apps.toml', text, 'stdin')}: "web#vsn:~>2.0".stdin: expected true or false, got an integer`]);
  });

  it('reports a bad value inherited from _ once, under _, not again for every item', () => {
    const text = '[_]\nrestart = "often"\n[a]\ncommand = "x"\n[b]\ncommand = "y"\n';
    expect(problems(text)).toEqual([
      `${at('apps.toml', text, 'restart')}: _.restart: expected one of true, false, "always", "crash", "never", or a table`,
    ]);
  });

  it('reports an unknown key in _ once', () => {
    const text = '[_]\nrestrat = "always"\n[a]\ncommand = "x"\n[b]\ncommand = "y"\n';
    expect(problems(text)).toEqual([`${at('apps.toml', text, 'restrat')}: _.restrat: unknown key; did you mean restart?`]);
  });

  it('points at the line in _ when an inherited value only fails for one item', () => {
    const text = '[_]\ndepends = ["db"]\n[db]\ncommand = "x"\n';
    expect(problems(text)).toEqual([`${at('apps.toml', text, '"db"]')}: db.depends[0]: an appliance cannot depend on itself`]);
  });

  it('refuses a _ that is not a table', () => {
    const text = '_ = "defaults"\n';
    expect(problems(text)).toEqual(['apps.toml:1:1: _: expected a table of defaults for every appliance, got a string']);
  });

  it('refuses a top-level key that is not a table', () => {
    const text = 'command = "x"\n';
    expect(problems(text)).toEqual(['apps.toml:1:1: command: expected a table describing an appliance, got a string']);
  });

  it('refuses a table key that is not a valid spec', () => {
    const text = '["web#vsn"]\ncommand = "x"\n';
    expect(problems(text)).toEqual([
      `${at('apps.toml', text, '"web#vsn"')}: "web#vsn": invalid appliance spec "web#vsn": option "vsn" is not key:value`,
    ]);
  });

  it('refuses two tables for the same appliance name in one file', () => {
    const text = '[web]\ncommand = "x"\n["web#vsn:2"]\ncommand = "y"\n';
    expect(problems(text)).toEqual([`${at('apps.toml', text, '"web#vsn:2"')}: "web#vsn:2": appliance web is already defined at line 1`]);
  });

  it('points a missing command at the table header, even when the table is defined by a sub-table', () => {
    const text = '[web.env]\nA = "b"\n';
    expect(problems(text)).toEqual([
      'apps.toml:1:2: web.command: missing: give a string to run with /bin/sh -c, or an array of strings (argv)',
    ]);
  });

  it('points into array tables of hooks', () => {
    const text = '[web]\ncommand = "x"\n[[web.hooks.stop]]\nrun = "a"\n[[web.hooks.stop]]\npost = "mailto:x"\n';
    expect(problems(text)).toEqual([
      `${at('apps.toml', text, 'post')}: web.hooks.stop[1].post: expected an http:// or https:// URL, got "mailto:x"`,
    ]);
  });
});

describe('loadApplianceFiles', () => {
  it('loads several files in order', async () => {
    const items = await loadApplianceFiles([fixture('valid/db.toml'), fixture('valid/shop.toml')], instanceDefaults);
    expect(items.map((i) => [i.spec.name, path.basename(i.file)])).toEqual([
      ['db', 'db.toml'],
      ['web', 'shop.toml'],
      ['worker', 'shop.toml'],
    ]);
    expect(items[0]!.opts).toMatchObject({ stop_signal: 'SIGINT', stop_timeout_ms: 30_000 });
  });

  it('refuses the same appliance name in two files, naming both', async () => {
    const shop = fixture('valid/shop.toml');
    const clash = fixture('clash/web-v2.toml');
    const shopText = await readFile(shop, 'utf8');
    const error = await loadApplianceFiles([shop, clash], instanceDefaults).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    const { line, column } = positionOf(shopText, 'web]');
    expect((error as ConfigError).message).toBe(`${clash}:1:2: web: appliance web is already defined in ${shop}:${line}:${column}`);
  });

  it('gathers the problems of every file into one error', async () => {
    const error = await loadApplianceFiles(
      [fixture('invalid/syntax.toml'), fixture('valid/db.toml'), fixture('invalid/many-problems.toml')],
      instanceDefaults,
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    const files = (error as ConfigError).problems.map((p) => path.basename(p.file));
    expect(new Set(files)).toEqual(new Set(['syntax.toml', 'many-problems.toml']));
    expect(files).toHaveLength(9);
  });

  it('reports an unreadable file as a problem of that file at line 0', async () => {
    const missing = fixture('valid/nope.toml');
    const error = await loadApplianceFiles([missing, fixture('valid/db.toml')], instanceDefaults).catch((err: unknown) => err);
    expect((error as ConfigError).problems).toEqual([
      { file: missing, line: 0, column: 0, keyPath: '', message: expect.stringMatching(/^cannot read file: ENOENT/) },
    ]);
  });
});

describe('expandIncludes', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'spew-include-'));
    for (const file of ['b.toml', 'a.toml', 'notes.txt', '.hidden.toml', 'x1.toml', 'sub/c.toml', 'sub/deep/d.toml']) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), '');
    }
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const inDir = (...files: string[]) => files.map((f) => path.join(dir, f));

  it('matches * in one directory, sorted, skipping hidden files', async () => {
    expect(await expandIncludes([path.join(dir, '*.toml')], '/')).toEqual(inDir('a.toml', 'b.toml', 'x1.toml'));
  });

  it('matches ? as one character', async () => {
    expect(await expandIncludes([path.join(dir, '?.toml')], '/')).toEqual(inDir('a.toml', 'b.toml'));
  });

  it('matches ** across directories', async () => {
    expect(await expandIncludes([path.join(dir, 'sub/**/*.toml')], '/')).toEqual(inDir('sub/c.toml', 'sub/deep/d.toml'));
    expect(await expandIncludes([path.join(dir, '**/*.toml')], '/')).toEqual(
      inDir('a.toml', 'b.toml', 'sub/c.toml', 'sub/deep/d.toml', 'x1.toml'),
    );
  });

  it('resolves relative globs against the base directory', async () => {
    expect(await expandIncludes(['sub/*.toml', './b.toml'], dir)).toEqual(inDir('b.toml', 'sub/c.toml'));
  });

  it('removes duplicates found by overlapping globs', async () => {
    expect(await expandIncludes(['*.toml', 'a.*', 'a.toml'], dir)).toEqual(inDir('a.toml', 'b.toml', 'x1.toml'));
  });

  it('returns nothing for globs that match nothing, or directories that do not exist', async () => {
    expect(await expandIncludes(['*.yaml', 'missing/*.toml', 'missing.toml', 'sub'], dir)).toEqual([]);
  });
});
