/**
 * Which appliances depend on which, and the orders that respect it: dependencies start before
 * their dependents and stop after them. Orders come in layers: the names in one layer do not
 * depend on each other, so a layer can start (or stop) in parallel.
 *
 * Invariant: the graph is closed and acyclic. `problems` tells a config why it is not; the
 * constructor refuses such edges, so every order below is total.
 */

type Edges = ReadonlyMap<string, readonly string[]>;

/** What can be wrong with a set of dependencies. */
export type DependencyProblem =
  /** `name` depends on `dependency`, which is not in the graph. */
  | { kind: 'unknown-dependency'; name: string; dependency: string }
  /** Each member depends on the next, the last on the first; the smallest name comes first. */
  | { kind: 'cycle'; members: string[] };

/** The words a config error or an operator reads for a problem. */
export function describeDependencyProblem(problem: DependencyProblem): string {
  switch (problem.kind) {
    case 'unknown-dependency':
      return `${problem.name} depends on ${problem.dependency}, which does not exist`;
    case 'cycle':
      return `dependency cycle: ${[...problem.members, problem.members[0]].join(' -> ')}`;
  }
}

export class DependencyGraph {
  /** name -> its direct dependencies, sorted and without repeats. */
  private readonly deps = new Map<string, string[]>();
  /** name -> its direct dependents, sorted. */
  private readonly dependents = new Map<string, string[]>();
  private readonly layers: string[][];

  /** `edges`: appliance name -> the names it depends on. Throws when `problems` finds any. */
  constructor(edges: Edges) {
    const problems = DependencyGraph.problems(edges);
    if (problems.length > 0) throw new Error(`invalid dependencies: ${problems.map(describeDependencyProblem).join('; ')}`);
    for (const name of edges.keys()) {
      this.deps.set(name, sortedDeps(edges, name));
      this.dependents.set(name, []);
    }
    for (const [name, deps] of this.deps) {
      for (const dep of deps) this.dependents.get(dep)!.push(name);
    }
    for (const list of this.dependents.values()) list.sort();
    this.layers = this.layer();
  }

  /**
   * Every dependency on a name that does not exist (by name, then dependency), then cycles (by
   * their members): each name that lies on a cycle appears in at least one reported cycle (the
   * shortest through it), so fixing what is reported leaves no cycle unmentioned. [] when the
   * graph is fine.
   */
  static problems(edges: Edges): DependencyProblem[] {
    const problems: DependencyProblem[] = [];
    const names = [...edges.keys()].sort();
    for (const name of names) {
      for (const dependency of sortedDeps(edges, name)) {
        if (!edges.has(dependency)) problems.push({ kind: 'unknown-dependency', name, dependency });
      }
    }
    const cycles = findCycles(edges, names).sort(byMembers).map((members): DependencyProblem => ({ kind: 'cycle', members }));
    return [...problems, ...cycles];
  }

  /** Every name after all its dependencies; names in a layer are sorted. */
  startOrder(): string[][] {
    return this.layers.map((layer) => [...layer]);
  }

  /** Every name before all its dependencies: the start order reversed. */
  stopOrder(): string[][] {
    return this.startOrder().reverse();
  }

  /** Direct dependencies, sorted; [] for a name not in the graph. */
  dependenciesOf(name: string): string[] {
    return [...(this.deps.get(name) ?? [])];
  }

  /** Direct dependents, sorted; [] for a name not in the graph. */
  dependentsOf(name: string): string[] {
    return [...(this.dependents.get(name) ?? [])];
  }

  /**
   * The start order restricted to `names`, keeping their relative order (empty layers dropped).
   * Names not in the graph are left out: the caller asks about appliances it no longer has.
   */
  startOrderFor(names: readonly string[]): string[][] {
    const wanted = new Set(names);
    return this.layers
      .map((layer) => layer.filter((name) => wanted.has(name)))
      .filter((layer) => layer.length > 0);
  }

  /** Layer of a name = 1 + the highest layer of its dependencies (0 without any). */
  private layer(): string[][] {
    const depth = new Map<string, number>();
    const depthOf = (name: string): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      const d = Math.max(-1, ...this.deps.get(name)!.map(depthOf)) + 1;
      depth.set(name, d);
      return d;
    };
    const layers: string[][] = [];
    for (const name of [...this.deps.keys()].sort()) {
      const d = depthOf(name);
      (layers[d] ??= []).push(name);
    }
    // Every depth below a used one is used too (a name at d has a dependency at d - 1).
    return layers;
  }
}

function sortedDeps(edges: Edges, name: string): string[] {
  return [...new Set(edges.get(name) ?? [])].sort();
}

/**
 * Cycles through known names, each as the list of its names starting at the smallest. Within
 * each strongly connected component, takes the shortest cycle through every name not yet
 * covered by a cycle found before.
 */
function findCycles(edges: Edges, names: readonly string[]): string[][] {
  const next = (name: string): string[] => sortedDeps(edges, name).filter((dep) => edges.has(dep));
  const cycles: string[][] = [];
  for (const component of stronglyConnected(names, next)) {
    const inside = new Set(component);
    const covered = new Set<string>();
    for (const name of component) {
      if (covered.has(name)) continue;
      const cycle = shortestCycleThrough(name, (n) => next(n).filter((dep) => inside.has(dep)));
      // A component of one name without a self-dependency has no cycle.
      if (!cycle) continue;
      for (const member of cycle) covered.add(member);
      cycles.push(rotateToSmallest(cycle));
    }
  }
  return cycles;
}

/** Tarjan's algorithm; each component's names sorted. Recursion depth is the longest chain. */
function stronglyConnected(names: readonly string[], next: (name: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (name: string): void => {
    index.set(name, index.size);
    low.set(name, index.get(name)!);
    stack.push(name);
    onStack.add(name);
    for (const dep of next(name)) {
      if (!index.has(dep)) {
        visit(dep);
        low.set(name, Math.min(low.get(name)!, low.get(dep)!));
      } else if (onStack.has(dep)) {
        low.set(name, Math.min(low.get(name)!, index.get(dep)!));
      }
    }
    if (low.get(name) !== index.get(name)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== name);
    components.push(component.sort());
  };
  for (const name of names) if (!index.has(name)) visit(name);
  return components;
}

/** Breadth-first from `start` back to itself: [start, ..., last] with last -> start. */
function shortestCycleThrough(start: string, next: (name: string) => string[]): string[] | undefined {
  const parent = new Map<string, string>();
  let frontier = [start];
  while (frontier.length > 0) {
    const following: string[] = [];
    for (const name of frontier) {
      for (const dep of next(name)) {
        if (dep === start) return pathTo(name, start, parent);
        if (parent.has(dep)) continue;
        parent.set(dep, name);
        following.push(dep);
      }
    }
    frontier = following;
  }
  return undefined;
}

function pathTo(last: string, start: string, parent: ReadonlyMap<string, string>): string[] {
  const path = [last];
  while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
  return path;
}

/** Name by name; a cycle that is the start of another comes first. */
function byMembers(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

function rotateToSmallest(cycle: string[]): string[] {
  const smallest = cycle.indexOf([...cycle].sort()[0]!);
  return [...cycle.slice(smallest), ...cycle.slice(0, smallest)];
}
