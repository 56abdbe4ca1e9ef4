/**
 * A value that a later boot step makes, for a callback an earlier step must hand out now: the
 * runners tell the manager which image a container start chose, and the manager tells the
 * auto-upgrader of its appliances, yet the runners are made before the manager, and the manager
 * before the upgraders that work through it. Used before it is bound is a bug of the boot order.
 */
export class LateBound<T> {
  private value: T | undefined;

  /** `what`: the value's name, for the error of a boot that uses it too early. */
  constructor(private readonly what: string) {}

  bind(value: T): void {
    if (this.value !== undefined) throw new Error(`${this.what} is bound already`);
    this.value = value;
  }

  get(): T {
    if (this.value === undefined) throw new Error(`${this.what} is used before the boot has made it`);
    return this.value;
  }
}
