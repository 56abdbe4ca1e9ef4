/**
 * Terminal colour without a colour library: a handful of ANSI codes, used only when the output
 * is a terminal and the user has not asked for none (https://no-color.org).
 */

export type Style = 'green' | 'yellow' | 'red' | 'dim';

const CODES: Record<Style, string> = { green: '32', yellow: '33', red: '31', dim: '2' };

/** Colours one piece of text, or returns it as is. */
export type Paint = (text: string, style: Style | undefined) => string;

export function shouldColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

export function painter(colour: boolean): Paint {
  return (text, style) => (colour && style ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text);
}
