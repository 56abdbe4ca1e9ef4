import { formatKeyPath } from '../../src/config/key-path.js';
import { parseTomlDocument } from '../../src/config/toml-document.js';
import type { Path, Report } from '../../src/config/value-readers.js';

type Reader<T> = (value: unknown, path: Path, report: Report) => T;

/** Runs a reader on a plain value at `web.<key>`; problems as `keyPath: message`. */
export function readValue<T>(reader: Reader<T>, key: string, value: unknown): { result: T; problems: string[] } {
  const problems: string[] = [];
  const result = reader(value, [key], (path, message) => problems.push(`${formatKeyPath('web', path)}: ${message}`));
  return { result, problems };
}

/**
 * Runs a reader on `web.<key>` of a TOML text, as the file pipeline would; problems as
 * `line:column: keyPath: message`, a missing key pointing at the nearest enclosing one.
 */
export function readToml<T>(reader: Reader<T>, key: string, text: string): { result: T; problems: string[] } {
  const document = parseTomlDocument('web.toml', text);
  const web = document.value.web as Record<string, unknown>;
  const problems: string[] = [];
  const locate = (path: Path) => {
    for (let length = path.length; length >= 0; length--) {
      const position = document.locate(['web', ...path.slice(0, length)]);
      if (position) return position;
    }
    return { line: 0, column: 0 };
  };
  const result = reader(web[key], [key], (path, message) => {
    const { line, column } = locate(path);
    problems.push(`${line}:${column}: ${formatKeyPath('web', path)}: ${message}`);
  });
  return { result, problems };
}
