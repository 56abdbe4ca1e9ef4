/** A command is either a string for `/bin/sh -c` or an argv array run directly. */
export type Command = string | string[];

/** The argv a command runs as: the one place that says what a string command means. */
export function argvOf(command: Command): string[] {
  return typeof command === 'string' ? ['/bin/sh', '-c', command] : command;
}
