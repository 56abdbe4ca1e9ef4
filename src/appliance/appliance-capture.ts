/** Where an appliance's output goes: its rotating log file, counting what cannot be written. */
import type { Logger } from 'winston';
import { applianceLogPath } from '../logs/appliance-log-path.js';
import { OutputCapture } from '../logs/output-capture.js';
import { RotatingLogFile } from '../logs/rotating-log-file.js';
import type { ApplianceDefinition } from '../model/appliance-definition.js';

export function captureFor(def: ApplianceDefinition, logDir: string, limits: { max_bytes: number; max_files: number }, logger: Logger): OutputCapture {
  const file = new RotatingLogFile(applianceLogPath(logDir, def.name), { maxBytes: limits.max_bytes, maxFiles: limits.max_files });
  return new OutputCapture(file, undefined, (error) => logger.error(`${def.name}: its output cannot be logged (${error}): lines are counted until it can be`));
}
