/**
 * The agent's own log, through winston. Every entry is one line, `TIME LEVEL message key=value...`,
 * so the agent log greps and tails like the appliance logs.
 */
import { join } from 'node:path';
import winston from 'winston';
import { AgentLogFile } from './agent-log-file.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface AgentLoggerOptions {
  level: LogLevel;
  /** In the foreground the log goes to stderr; otherwise to `${logDir}/agent.log`. */
  foreground: boolean;
  logDir: string;
}

const LOG_FILE_MAX_BYTES = 10 * 1024 * 1024;
const LOG_FILE_MAX_FILES = 5;
/** Fields winston itself puts on an entry; everything else is the caller's metadata. */
const RESERVED_KEYS = new Set(['level', 'message', 'timestamp']);
const LEVEL_WIDTH = 'error'.length;
/**
 * Our own ANSI codes rather than winston's colorize, whose global switch also depends on TERM and
 * FORCE_COLOR: whether a line is coloured should follow from the options alone.
 */
const LEVEL_COLOURS: Record<string, string> = {
  error: '\u001b[31m',
  warn: '\u001b[33m',
  info: '\u001b[32m',
  debug: '\u001b[34m',
};
const RESET = '\u001b[39m';

export function createAgentLogger(opts: AgentLoggerOptions): winston.Logger {
  // Colour codes in a file or a pipe are noise, so only a terminal gets them (and not if NO_COLOR is set).
  const colour = opts.foreground && process.stderr.isTTY === true && !process.env.NO_COLOR;
  const transport = opts.foreground
    ? new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })
    : new AgentLogFile(join(opts.logDir, 'agent.log'), { maxBytes: LOG_FILE_MAX_BYTES, maxFiles: LOG_FILE_MAX_FILES });
  return winston.createLogger({
    level: opts.level,
    // errors() turns `logger.error(err)` into an entry whose message is the error's message.
    format: winston.format.combine(winston.format.errors(), winston.format.timestamp(), oneLine(colour)),
    transports: [transport],
  });
}

function oneLine(colour: boolean): winston.Logform.Format {
  return winston.format.printf((info) => {
    const label = info.level.toUpperCase().padEnd(LEVEL_WIDTH);
    const level = colour ? `${LEVEL_COLOURS[info.level] ?? ''}${label}${RESET}` : label;
    let line = `${String(info.timestamp)} ${level} ${oneLineText(String(info.message))}`;
    for (const [key, value] of Object.entries(info)) {
      if (!RESERVED_KEYS.has(key)) line += ` ${key}=${formatValue(value)}`;
    }
    return line;
  });
}

/** A multi-line message would look like several entries, so its line breaks are escaped. */
function oneLineText(text: string): string {
  return text.includes('\n') ? text.replace(/\r?\n/g, '\\n') : text;
}

/** Plain words stay bare; anything that would break the `key=value` split is quoted as JSON. */
function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  try {
    // JSON.stringify gives undefined for functions and symbols and throws on cycles and bigints.
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
