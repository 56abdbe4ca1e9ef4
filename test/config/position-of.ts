/**
 * The 1-based line and column where `needle` starts in `text` (its `occurrence`-th appearance),
 * so tests state positions by what is written there rather than by counting characters.
 */
export function positionOf(text: string, needle: string, occurrence = 1): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i < occurrence; i++) {
    index = text.indexOf(needle, index + 1);
    if (index === -1) throw new Error(`${JSON.stringify(needle)} occurs fewer than ${occurrence} times`);
  }
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

