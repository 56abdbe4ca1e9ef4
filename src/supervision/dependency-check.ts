/**
 * Cycles and unknown dependencies are refused when appliance files are validated or applied,
 * not discovered at start time: a cycle can never start, and a missing dependency never comes.
 */
import { ConfigError, type ConfigProblem } from '../config/config-error.js';
import type { LoadedItem } from '../config/appliance-file.js';
import { DependencyGraph } from './dependency-graph.js';

/**
 * Checks the dependencies of `items` against themselves plus `others` (appliances that exist
 * already, with their own dependencies); throws a ConfigError pointing at the items involved.
 */
export function checkDependencies(items: LoadedItem[], others: ReadonlyMap<string, readonly string[]> = new Map()): void {
  const edges = new Map(others);
  for (const item of items) edges.set(item.spec.name, item.opts.depends.map((d) => d.name));
  const messages = DependencyGraph.problems(edges);
  if (messages.length === 0) return;
  const problems: ConfigProblem[] = messages.map((message) => {
    // Point at the first item the message names; a cycle names all of its members.
    const item = items.find((i) => new RegExp(`(^|[ >])${escape(i.spec.name)}([ ,]|$)`).test(message)) ?? items[0];
    return { file: item?.file || 'request', line: item?.line ?? 0, column: item ? 1 : 0, keyPath: item ? `${item.spec.name}.depends` : '', message };
  });
  throw new ConfigError(problems);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
