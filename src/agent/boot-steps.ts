/**
 * A boot as steps taken in order, each answering what undoes it. However the agent goes (a
 * step that throws, a stop, a hand-off), what was done is undone the last first, so that
 * nothing is released while something taken after it still uses it.
 *
 * `Why` is how the agent goes, told to every disposer: a hand-off leaves running what a stop
 * ends.
 */

/** Undoes one step; may take its time (stopping appliances). */
export type Disposer<Why> = (why: Why) => void | Promise<void>;

/** What a step answers: what it made, for the steps after it, and how to undo it. */
export interface Step<Why> {
  dispose: Disposer<Why>;
}

export class BootSteps<Why> {
  private readonly taken: { name: string; dispose: Disposer<Why> }[] = [];

  /**
   * `failed`: what the disposers are told when a step throws. `onUndoFailed`: a disposer that
   * throws is reported there, and the ones before it are still run.
   */
  constructor(
    private readonly failed: Why,
    private readonly onUndoFailed: (step: string, err: unknown) => void,
  ) {}

  /**
   * Takes the next step and answers what it made. A step that throws undoes what it had done
   * itself; the steps before it are undone here (as `failed`), then its error is thrown on.
   */
  async take<S extends Step<Why>>(name: string, step: () => S | Promise<S>): Promise<S> {
    let made: S;
    try {
      made = await step();
    } catch (err) {
      await this.undo(this.failed);
      throw err;
    }
    this.taken.push({ name, dispose: made.dispose });
    return made;
  }

  /** Undoes every step taken, the last first, each once. */
  async undo(why: Why): Promise<void> {
    for (let step = this.taken.pop(); step; step = this.taken.pop()) {
      try {
        await step.dispose(why);
      } catch (err) {
        this.onUndoFailed(step.name, err);
      }
    }
  }
}
