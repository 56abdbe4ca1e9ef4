/**
 * Cycles and unknown dependencies are refused when appliance files are validated or applied,
 * not discovered at start time: a cycle can never start, and a missing dependency never comes.
 */
import { ConfigError, type ConfigProblem } from '../config/config-error.js';
import type { LoadedItem } from '../config/appliance-file.js';
import { dependencyLabel, localNames } from '../model/appliance-definition.js';
import { DependencyGraph, describeDependencyProblem, type DependencyProblem } from './dependency-graph.js';

/**
 * Checks the dependencies of `items` against themselves plus `others` (appliances that exist
 * already, with their own dependencies); throws a ConfigError pointing at the items involved.
 */
export function checkDependencies(items: LoadedItem[], others: ReadonlyMap<string, readonly string[]> = new Map(), acrossHosts = false): void {
  const edges = new Map(others);
  for (const item of items) edges.set(item.spec.name, localNames(item.opts.depends));
  const found = DependencyGraph.problems(edges);
  // `db@host2` needs a cluster to be known at all.
  const elsewhere: ConfigProblem[] = acrossHosts ? [] : items.flatMap((item) => item.opts.depends.flatMap((d, i) => (d.host === undefined ? [] : [{
    file: item.file || 'request', line: item.line, column: item.file ? 1 : 0, keyPath: `${item.spec.name}.depends[${i}]`,
    message: `${dependencyLabel(d)} is on another host, and this agent is in no cluster (its instance config has no [cluster] table)`,
  }])));
  if (found.length === 0 && elsewhere.length === 0) return;
  const problems: ConfigProblem[] = [...elsewhere, ...found.map((problem) => {
    // An appliance that exists already is not in these files: the first item stands in for it.
    const item = items.find((i) => involves(problem, i.spec.name)) ?? items[0];
    const message = describeDependencyProblem(problem);
    return { file: item?.file || 'request', line: item?.line ?? 0, column: item ? 1 : 0, keyPath: item ? `${item.spec.name}.depends` : '', message };
  })];
  throw new ConfigError(problems);
}

/** Whether the appliance `name` is one that has to change to fix `problem`. */
function involves(problem: DependencyProblem, name: string): boolean {
  switch (problem.kind) {
    case 'unknown-dependency':
      return problem.name === name;
    case 'cycle':
      return problem.members.includes(name);
  }
}
