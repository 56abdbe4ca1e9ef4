import { parseTOML, getStaticTOMLValue, ParseError, type AST } from 'toml-eslint-parser';
import { ConfigError } from './config-error.js';

export type KeyPathParts = readonly (string | number)[];
export interface Position {
  line: number;
  column: number;
}

/** A parsed TOML file: its plain value, plus where each key path was written. */
export interface TomlDocument {
  value: Record<string, unknown>;
  /** 1-based position of the key (or array element) at `path`, if the file wrote it. */
  locate(path: KeyPathParts): Position | undefined;
}

/** Parses TOML 1.0; a syntax error becomes a ConfigError pointing at the offending character. */
export function parseTomlDocument(file: string, content: string): TomlDocument {
  let ast: AST.TOMLProgram;
  try {
    ast = parseTOML(content, { filePath: file, tomlVersion: '1.0' });
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    throw new ConfigError([{ file, line: err.lineNumber, column: err.column + 1, keyPath: '', message: err.message }], { cause: err });
  }
  const positions = new PositionIndex();
  positions.addTopLevel(ast.body[0]);
  return {
    value: getStaticTOMLValue(ast) as Record<string, unknown>,
    locate: (path) => positions.get(path),
  };
}

/**
 * Positions by key path. A path can be mentioned implicitly many times (`[web.env]` mentions
 * `web`), so the place that defines a path outright wins, and otherwise its first mention.
 */
class PositionIndex {
  private readonly entries = new Map<string, { position: Position; explicit: boolean }>();

  get(path: KeyPathParts): Position | undefined {
    return this.entries.get(JSON.stringify(path))?.position;
  }

  addTopLevel(top: AST.TOMLTopLevelTable): void {
    for (const node of top.body) {
      if (node.type === 'TOMLKeyValue') this.addKeyValue([], node);
      else this.addTable(node);
    }
  }

  private addTable(table: AST.TOMLTable): void {
    const path = table.resolvedKey;
    let keyIndex = 0;
    for (let i = 0; i < path.length; i++) {
      // Array-table indexes have no text of their own; the header stands in for them.
      const part = typeof path[i] === 'number' ? table.key : (table.key.keys[keyIndex++] ?? table.key);
      this.record(path.slice(0, i + 1), part, i === path.length - 1);
    }
    for (const keyValue of table.body) this.addKeyValue(path, keyValue);
  }

  private addKeyValue(prefix: KeyPathParts, keyValue: AST.TOMLKeyValue): void {
    const path = [...prefix];
    keyValue.key.keys.forEach((key, i) => {
      path.push(key.type === 'TOMLBare' ? key.name : key.value);
      this.record(path, key, i === keyValue.key.keys.length - 1);
    });
    this.addValue(path, keyValue.value);
  }

  private addValue(path: KeyPathParts, value: AST.TOMLContentNode): void {
    if (value.type === 'TOMLInlineTable') {
      for (const keyValue of value.body) this.addKeyValue(path, keyValue);
    } else if (value.type === 'TOMLArray') {
      value.elements.forEach((element, i) => {
        this.record([...path, i], element, true);
        this.addValue([...path, i], element);
      });
    }
  }

  private record(path: KeyPathParts, node: AST.TOMLNode, explicit: boolean): void {
    const key = JSON.stringify(path);
    const known = this.entries.get(key);
    if (known && (known.explicit || !explicit)) return;
    const { line, column } = node.loc.start;
    this.entries.set(key, { position: { line, column: column + 1 }, explicit });
  }
}
