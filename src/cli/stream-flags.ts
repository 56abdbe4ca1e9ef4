/** `--follow` and `--tail`, shared by the commands that read a log: logs and events. */
import { Flags } from '@oclif/core';

export const streamFlags = {
  follow: Flags.boolean({ char: 'f', description: 'Keep printing new lines as they arrive.' }),
  tail: Flags.integer({ char: 't', description: 'Start with the last N lines.', default: 100, min: 0 }),
};
