import { SpewError } from '../common/errors.js';

/** One thing wrong with a config file or request body, pointing at where it was written. */
export interface ConfigProblem {
  file: string;
  /** 1-based; 0 when there is no position (an API body, an unreadable file). */
  line: number;
  /** 1-based; 0 when there is no position. */
  column: number;
  /** Dotted path of the offending key, e.g. `web.restart`; empty for syntax and file errors. */
  keyPath: string;
  message: string;
}

/** Every problem found in a load, so that one run of the editor fixes them all. */
export class ConfigError extends SpewError {
  /** `cause`: the error behind the problems when one was (a file that cannot be read). */
  constructor(
    readonly problems: ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super('INVALID_CONFIG', problems.map(formatProblem).join('\n'), options);
    this.name = 'ConfigError';
  }
}

function formatProblem(p: ConfigProblem): string {
  const where = `${p.file}:${p.line}:${p.column}: `;
  return p.keyPath === '' ? `${where}${p.message}` : `${where}${p.keyPath}: ${p.message}`;
}
