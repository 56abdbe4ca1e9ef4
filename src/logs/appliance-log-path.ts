import { join } from 'node:path';

/** Where an appliance's captured output lives: one rotated file per appliance name. */
export function applianceLogPath(logDir: string, name: string): string {
  return join(logDir, 'appliances', `${name}.log`);
}
