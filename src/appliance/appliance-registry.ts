/**
 * The appliances of this agent by ref and by name, and the one place that says a name or a
 * ref is taken. A name never shadows a ref: lookups try the ref first, and a name of twelve hex
 * digits is refused by the config reader.
 */
import { SpewError } from '../common/errors.js';
import { localNames } from '../model/appliance-definition.js';
import type { ApplianceState } from '../model/appliance-state.js';
import { DependencyGraph } from '../supervision/dependency-graph.js';
import type { Appliance } from './appliance.js';

export class ApplianceRegistry {
  private readonly byRef = new Map<string, Appliance>();
  private readonly byName = new Map<string, Appliance>();

  get size(): number {
    return this.byRef.size;
  }

  /** Every appliance, in no order. */
  all(): Appliance[] {
    return [...this.byRef.values()];
  }

  /** Every appliance, by name. */
  sorted(): Appliance[] {
    return this.all().sort((a, b) => a.name.localeCompare(b.name));
  }

  /** By ref or by name. */
  find(id: string): Appliance | undefined {
    return this.byRef.get(id) ?? this.byName.get(id);
  }

  /** By ref or by name; APPLIANCE_NOT_FOUND otherwise. */
  get(id: string): Appliance {
    const appliance = this.find(id);
    if (!appliance) throw new SpewError('APPLIANCE_NOT_FOUND', `no appliance named "${id}"`);
    return appliance;
  }

  withRef(ref: string): Appliance | undefined {
    return this.byRef.get(ref);
  }

  named(name: string): Appliance | undefined {
    return this.byName.get(name);
  }

  /** Refuses a name or a ref that an appliance holds already (NAME_TAKEN). */
  checkFree(name: string, ref: string): void {
    if (this.byName.has(name)) throw new SpewError('NAME_TAKEN', `an appliance named "${name}" already exists`);
    const holder = this.byRef.get(ref);
    if (holder) throw new SpewError('NAME_TAKEN', `ref ${ref} is appliance ${holder.name}'s already`);
  }

  add(appliance: Appliance): void {
    this.byRef.set(appliance.ref, appliance);
    this.byName.set(appliance.name, appliance);
  }

  delete(appliance: Appliance): void {
    this.byRef.delete(appliance.ref);
    this.byName.delete(appliance.name);
  }

  /** The state of the appliance named so, if there is one. */
  stateOf(name: string): ApplianceState | undefined {
    return this.byName.get(name)?.state;
  }

  /** Appliances that depend on `name`. */
  dependentsOf(name: string): Appliance[] {
    return this.all().filter((a) => localNames(a.definition.depends).includes(name));
  }

  /** Each appliance's name with the names it depends on. */
  dependencyEdges(): Map<string, string[]> {
    return new Map([...this.byName].map(([name, a]) => [name, localNames(a.definition.depends)]));
  }

  /** Layers to stop in turn: dependents before what they depend on (all at once if the graph is unsound). */
  stopOrder(): Appliance[][] {
    const edges = this.dependencyEdges();
    const names = DependencyGraph.problems(edges).length === 0 ? new DependencyGraph(edges).stopOrder() : [[...edges.keys()]];
    return names.map((layer) => layer.flatMap((name) => this.byName.get(name) ?? []));
  }
}
