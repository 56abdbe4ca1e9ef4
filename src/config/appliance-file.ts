import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { ApplianceSpec, ItemOpts } from '../model/appliance-definition.js';
import { errorMessage } from '../common/errors.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { describeValue } from './describe-value.js';
import { isTable } from './is-table.js';
import { validateItem, type ItemDefaults } from './item-validator.js';
import { formatKeyPath } from './key-path.js';
import { mergeDefaults } from './merge-defaults.js';
import { parseSpec } from './spec-parser.js';
import type { RawItem } from '../model/appliance-version.js';
import { parseTomlDocument, type KeyPathParts, type Position, type TomlDocument } from './toml-document.js';

/** One appliance as a file describes it. */
export interface LoadedItem {
  spec: ApplianceSpec;
  opts: ItemOpts;
  file: string;
  /** Line of the appliance's table header. */
  line: number;
  /** The table as written, and the file's defaults: kept with each version of the appliance. */
  raw: RawItem;
}

/** The column too, so that a clash found across files can point at the exact header. */
type PositionedItem = LoadedItem & { column: number };

const DEFAULTS_KEY = '_';

/**
 * Every top-level table is one appliance, keyed by its spec; `_` holds defaults for all of them.
 * The file is refused whole if anything in it is wrong, with every problem listed.
 */
export function parseApplianceFile(
  file: string,
  content: string,
  instanceDefaults: ItemDefaults,
): LoadedItem[] {
  return readItems(file, content, instanceDefaults).map(({ column: _column, ...item }) => item);
}

/**
 * Loads several files as one set: names must be unique across all of them. Problems of every
 * file are gathered into a single ConfigError.
 */
export async function loadApplianceFiles(
  paths: string[],
  instanceDefaults: ItemDefaults,
): Promise<LoadedItem[]> {
  const contents = await Promise.all(
    paths.map(async (file) => {
      try {
        return { file, content: await readFile(file, 'utf8') };
      } catch (err) {
        return { file, problem: { file, line: 0, column: 0, keyPath: '', message: `cannot read file: ${errorMessage(err)}` } };
      }
    }),
  );
  return parseApplianceSources(contents, instanceDefaults);
}

/** What a file holds, or why it could not be read. */
export type ApplianceSource = { file: string; content: string; problem?: undefined } | { file: string; problem: ConfigProblem; content?: undefined };

/**
 * Parses files already in memory (an API request carries them) as one set, exactly as
 * loadApplianceFiles does for files on disk.
 */
export function parseApplianceSources(contents: ApplianceSource[], instanceDefaults: ItemDefaults): LoadedItem[] {
  const problems: ConfigProblem[] = [];
  const items: LoadedItem[] = [];
  const byName = new Map<string, PositionedItem>();
  for (const { file, content, problem } of contents) {
    if (problem) {
      problems.push(problem);
      continue;
    }
    let fileItems: PositionedItem[];
    try {
      fileItems = readItems(file, content, instanceDefaults);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      continue;
    }
    for (const { column, ...item } of fileItems) {
      const first = byName.get(item.spec.name);
      if (first) {
        problems.push({
          file,
          line: item.line,
          column,
          keyPath: item.spec.name,
          message: `appliance ${item.spec.name} is already defined in ${first.file}:${first.line}:${first.column}`,
        });
        continue;
      }
      byName.set(item.spec.name, { ...item, column });
      items.push(item);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return items;
}

/**
 * The files matching `include` globs (`*`, `?`, `**`, `[...]`, `{a,b}`), sorted and without
 * duplicates. A glob that matches nothing is not an error: an empty appliances.d is normal.
 */
export async function expandIncludes(globs: string[], baseDir: string): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of globs) {
    for (const file of await expandOne(path.resolve(baseDir, pattern))) found.add(file);
  }
  return [...found].sort();
}

async function expandOne(absolutePattern: string): Promise<string[]> {
  // Crawl from the deepest literal directory, so that `/etc/spew/appliances.d/*.toml` reads
  // one directory rather than the whole file system.
  const segments = absolutePattern.split(path.sep);
  const firstDynamic = segments.findIndex((segment) => isDynamicPattern(segment));
  if (firstDynamic === -1) {
    const isFile = await stat(absolutePattern).then((s) => s.isFile(), () => false);
    return isFile ? [absolutePattern] : [];
  }
  const cwd = segments.slice(0, firstDynamic).join(path.sep) || path.sep;
  const matches = await glob(segments.slice(firstDynamic).join('/'), {
    cwd,
    absolute: true,
    onlyFiles: true,
    expandDirectories: false,
  });
  return matches.map((file) => path.normalize(file));
}

function readItems(file: string, content: string, instanceDefaults: ItemDefaults): PositionedItem[] {
  const document = parseTomlDocument(file, content);
  const problems: ConfigProblem[] = [];
  const reported = new Set<string>();
  const report = (problem: Omit<ConfigProblem, 'file'>): void => {
    // A bad value in `_` would otherwise be reported again under every item that inherits it.
    const key = `${problem.line}:${problem.column}:${problem.message}`;
    if (reported.has(key)) return;
    reported.add(key);
    problems.push({ file, ...problem });
  };
  const at = (keyPath: KeyPathParts): Position => document.locate(keyPath) ?? { line: 0, column: 0 };

  const { [DEFAULTS_KEY]: rawDefaults, ...tables } = document.value;
  let defaults: Record<string, unknown> = {};
  if (isTable(rawDefaults)) {
    defaults = rawDefaults;
    validateItem(
      defaults,
      { keyPrefix: DEFAULTS_KEY, locate: (p) => document.locate([DEFAULTS_KEY, ...p]), defaultsOnly: true },
      instanceDefaults,
    ).problems.forEach(report);
  } else if (rawDefaults !== undefined) {
    report({ ...at([DEFAULTS_KEY]), keyPath: DEFAULTS_KEY, message: `expected a table of defaults for every appliance, got ${describeValue(rawDefaults)}` });
  }

  const items: PositionedItem[] = [];
  const lineOf = new Map<string, Position>();
  for (const [key, raw] of Object.entries(tables)) {
    const keyPrefix = formatKeyPath('', [key]);
    const header = at([key]);
    if (!isTable(raw)) {
      report({ ...header, keyPath: keyPrefix, message: `expected a table describing an appliance, got ${describeValue(raw)}` });
      continue;
    }
    let spec: ApplianceSpec | undefined;
    try {
      spec = parseSpec(key);
    } catch (err) {
      report({ ...header, keyPath: keyPrefix, message: errorMessage(err) });
    }
    const earlier = spec && lineOf.get(spec.name);
    if (spec && earlier) {
      report({ ...header, keyPath: keyPrefix, message: `appliance ${spec.name} is already defined at line ${earlier.line}` });
    } else if (spec) {
      lineOf.set(spec.name, header);
    }
    const { opts, problems: itemProblems } = validateItem(
      mergeDefaults(defaults, raw),
      { keyPrefix, locate: (p) => locateInItem(document, key, p), ...(spec && { name: spec.name, specOptions: spec.options }) },
      instanceDefaults,
    );
    itemProblems.forEach(report);
    if (spec && opts) items.push({ spec, opts, file, ...header, raw: { item: raw, defaults } });
  }
  // Read top to bottom, as the author will fix them.
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  if (problems.length > 0) throw new ConfigError(problems);
  return items;
}

/**
 * Where a key of an item was written: in its own table, else in `_` (it was inherited), else at
 * the nearest enclosing key the item wrote (a required key that is missing points at the header).
 */
function locateInItem(document: TomlDocument, key: string, keyPath: KeyPathParts): Position | undefined {
  const own = document.locate([key, ...keyPath]) ?? document.locate([DEFAULTS_KEY, ...keyPath]);
  if (own) return own;
  for (let length = keyPath.length - 1; length >= 0; length--) {
    const enclosing = document.locate([key, ...keyPath.slice(0, length)]);
    if (enclosing) return enclosing;
  }
  return undefined;
}
