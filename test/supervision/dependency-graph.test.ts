import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DependencyGraph, describeDependencyProblem } from '../../src/supervision/dependency-graph.js';

function edges(spec: Record<string, string[]>): Map<string, string[]> {
  return new Map(Object.entries(spec));
}

/** The problems of a graph, in the words a config error shows. */
function problemsOf(graph: ReadonlyMap<string, readonly string[]>): string[] {
  return DependencyGraph.problems(graph).map(describeDependencyProblem);
}

// web and worker need api; api needs db and cache; metrics stands alone.
const shop = edges({
  web: ['api'],
  worker: ['api', 'db'],
  api: ['db', 'cache'],
  db: [],
  cache: [],
  metrics: [],
});

describe('DependencyGraph', () => {
  it('starts dependencies first, in layers of independent names, sorted within a layer', () => {
    expect(new DependencyGraph(shop).startOrder()).toEqual([['cache', 'db', 'metrics'], ['api'], ['web', 'worker']]);
  });

  it('stops dependents first: the start order reversed', () => {
    expect(new DependencyGraph(shop).stopOrder()).toEqual([['web', 'worker'], ['api'], ['cache', 'db', 'metrics']]);
  });

  it('puts a name one layer after its deepest dependency', () => {
    const graph = new DependencyGraph(edges({ a: [], b: ['a'], c: ['b'], d: ['a', 'c'] }));
    expect(graph.startOrder()).toEqual([['a'], ['b'], ['c'], ['d']]);
  });

  it('answers an empty order for an empty graph', () => {
    const graph = new DependencyGraph(new Map());
    expect(graph.startOrder()).toEqual([]);
    expect(graph.stopOrder()).toEqual([]);
  });

  it('answers direct dependencies and dependents, sorted', () => {
    const graph = new DependencyGraph(shop);
    expect(graph.dependenciesOf('worker')).toEqual(['api', 'db']);
    expect(graph.dependenciesOf('api')).toEqual(['cache', 'db']);
    expect(graph.dependentsOf('db')).toEqual(['api', 'worker']);
    expect(graph.dependentsOf('web')).toEqual([]);
    expect(graph.dependenciesOf('nobody')).toEqual([]);
    expect(graph.dependentsOf('nobody')).toEqual([]);
  });

  it('counts a dependency listed twice once', () => {
    const graph = new DependencyGraph(edges({ a: [], b: ['a', 'a'] }));
    expect(graph.dependenciesOf('b')).toEqual(['a']);
    expect(graph.dependentsOf('a')).toEqual(['b']);
  });

  it('hands out copies, so a caller cannot change the graph', () => {
    const graph = new DependencyGraph(shop);
    graph.startOrder()[0]!.push('intruder');
    graph.dependentsOf('db').push('intruder');
    expect(graph.startOrder()[0]).toEqual(['cache', 'db', 'metrics']);
    expect(graph.dependentsOf('db')).toEqual(['api', 'worker']);
  });

  it('restricts the start order to some names, keeping their relative order', () => {
    const graph = new DependencyGraph(shop);
    expect(graph.startOrderFor(['web', 'db', 'metrics'])).toEqual([['db', 'metrics'], ['web']]);
    expect(graph.startOrderFor(['worker', 'cache'])).toEqual([['cache'], ['worker']]);
    expect(graph.startOrderFor([])).toEqual([]);
  });

  it('leaves names not in the graph out of a restricted order', () => {
    expect(new DependencyGraph(shop).startOrderFor(['web', 'ghost'])).toEqual([['web']]);
  });

  it('refuses to build a graph with problems', () => {
    expect(() => new DependencyGraph(edges({ web: ['db'] }))).toThrow(
      'invalid dependencies: web depends on db, which does not exist',
    );
    expect(() => new DependencyGraph(edges({ a: ['b'], b: ['a'] }))).toThrow('dependency cycle: a -> b -> a');
  });
});

describe('DependencyGraph.problems', () => {
  it('finds nothing wrong with a sound graph', () => {
    expect(problemsOf(shop)).toEqual([]);
    expect(problemsOf(new Map())).toEqual([]);
  });

  it('names every dependency on an appliance that does not exist', () => {
    expect(problemsOf(edges({ web: ['db', 'api'], worker: ['db'], api: [] }))).toEqual([
      'web depends on db, which does not exist',
      'worker depends on db, which does not exist',
    ]);
  });

  it('names the appliances of a cycle in the order they depend on each other, from the smallest', () => {
    expect(problemsOf(edges({ c: ['a'], a: ['b'], b: ['c'], d: ['c'] }))).toEqual([
      'dependency cycle: a -> b -> c -> a',
    ]);
  });

  it('finds an appliance that depends on itself', () => {
    expect(problemsOf(edges({ loop: ['loop'], ok: [] }))).toEqual(['dependency cycle: loop -> loop']);
  });

  it('reports separate cycles separately', () => {
    expect(problemsOf(edges({ a: ['b'], b: ['a'], x: ['y'], y: ['x'], z: ['a', 'x'] }))).toEqual([
      'dependency cycle: a -> b -> a',
      'dependency cycle: x -> y -> x',
    ]);
  });

  it('mentions every appliance on a cycle when cycles share appliances', () => {
    // hub -> a -> hub and hub -> b -> hub: one tangle, two cycles to break.
    expect(problemsOf(edges({ hub: ['a', 'b'], a: ['hub'], b: ['hub'] }))).toEqual([
      'dependency cycle: a -> hub -> a',
      'dependency cycle: b -> hub -> b',
    ]);
  });

  it('reports the shortest cycle through an appliance', () => {
    expect(problemsOf(edges({ a: ['b', 'c'], b: ['c'], c: ['a'] }))).toEqual([
      'dependency cycle: a -> b -> c -> a',
      'dependency cycle: a -> c -> a',
    ]);
  });

  it('tells each problem as a value: who depends on what unknown, the members of a cycle', () => {
    expect(DependencyGraph.problems(edges({ a: ['b', 'ghost'], b: ['a'] }))).toEqual([
      { kind: 'unknown-dependency', name: 'a', dependency: 'ghost' },
      { kind: 'cycle', members: ['a', 'b'] },
    ]);
  });

  it('reports unknown dependencies and cycles together', () => {
    expect(problemsOf(edges({ a: ['b', 'ghost'], b: ['a'] }))).toEqual([
      'a depends on ghost, which does not exist',
      'dependency cycle: a -> b -> a',
    ]);
  });
});

const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];

/** A random DAG: each name may depend only on names before it in a shuffled order. */
const dagArb = fc
  .tuple(
    fc.shuffledSubarray(NAMES, { minLength: 0 }),
    fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }),
  )
  .map(([order, pairs]) => {
    const result = new Map<string, string[]>(order.map((name) => [name, []]));
    for (const [x, y] of pairs) {
      if (order.length < 2) break;
      const [lo, hi] = [x % order.length, y % order.length].sort((p, q) => p - q) as [number, number];
      if (lo !== hi) result.get(order[hi]!)!.push(order[lo]!);
    }
    return result;
  });

/** A random graph over known names, possibly cyclic. */
const graphArb = fc
  .tuple(fc.integer({ min: 1, max: NAMES.length }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 30 }))
  .map(([size, pairs]) => {
    const names = NAMES.slice(0, size);
    const result = new Map<string, string[]>(names.map((name) => [name, []]));
    for (const [x, y] of pairs) result.get(names[x % size]!)!.push(names[y % size]!);
    return result;
  });

/** Whether `to` can be reached from `from` by following dependencies (one step at least). */
function reaches(graph: ReadonlyMap<string, readonly string[]>, from: string, to: string): boolean {
  const seen = new Set<string>();
  const todo = [...(graph.get(from) ?? [])];
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (name === to) return true;
    if (seen.has(name)) continue;
    seen.add(name);
    todo.push(...(graph.get(name) ?? []));
  }
  return false;
}

function parseCycle(problem: string): string[] {
  return problem.replace('dependency cycle: ', '').split(' -> ');
}

describe('DependencyGraph, for any graph', () => {
  it('starts every dependency in a layer strictly before its dependents, each name once', () => {
    fc.assert(
      fc.property(dagArb, (dag) => {
        expect(problemsOf(dag)).toEqual([]);
        const graph = new DependencyGraph(dag);
        const order = graph.startOrder();
        const layerOf = new Map(order.flatMap((layer, i) => layer.map((name) => [name, i] as const)));
        expect([...layerOf.keys()].sort()).toEqual([...dag.keys()].sort());
        expect(order.flat()).toHaveLength(dag.size);
        for (const [name, deps] of dag) {
          for (const dep of deps) expect(layerOf.get(dep)!).toBeLessThan(layerOf.get(name)!);
        }
        for (const layer of order) expect(layer).toEqual([...layer].sort());
        expect(graph.stopOrder()).toEqual([...order].reverse());
      }),
    );
  });

  it('keeps dependencies first in any restricted start order', () => {
    fc.assert(
      fc.property(dagArb.chain((dag) => fc.tuple(fc.constant(dag), fc.subarray([...dag.keys()]))), ([dag, some]) => {
        const order = new DependencyGraph(dag).startOrderFor(some);
        expect(order.flat().sort()).toEqual([...some].sort());
        const layerOf = new Map(order.flatMap((layer, i) => layer.map((name) => [name, i] as const)));
        for (const name of some) {
          for (const other of some) {
            if (reaches(dag, name, other)) expect(layerOf.get(other)!).toBeLessThan(layerOf.get(name)!);
          }
        }
      }),
    );
  });

  it('reports a cycle exactly when there is one, and every name on a cycle in a real cycle', () => {
    fc.assert(
      fc.property(graphArb, (graph) => {
        const cycles = problemsOf(graph).map(parseCycle);
        const onCycle = [...graph.keys()].filter((name) => reaches(graph, name, name));
        expect(cycles.length > 0).toBe(onCycle.length > 0);
        for (const cycle of cycles) {
          expect(cycle[0]).toBe(cycle.at(-1));
          expect(new Set(cycle.slice(0, -1)).size).toBe(cycle.length - 1);
          for (let i = 0; i + 1 < cycle.length; i++) expect(graph.get(cycle[i]!)).toContain(cycle[i + 1]);
        }
        const named = new Set(cycles.flat());
        expect([...named].sort()).toEqual(onCycle.sort());
      }),
    );
  });
});
