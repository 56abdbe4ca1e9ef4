/**
 * The verdict on a new container during an upgrade: it passes once it is up and healthy, it
 * fails the moment it ends or a watcher fails, or when the deadline comes first.
 *
 * Healthy means its watchers pass; an appliance without watchers has only its staying up to
 * show, so it must stay up for `settle_ms` (a release that exits at once fails within it).
 */
export type TrialVerdict = { passed: true } | { passed: false; reason: string };

export interface TrialTiming {
  deadline_ms: number;
  settle_ms: number;
}

export class Trial {
  readonly verdict: Promise<TrialVerdict>;
  private resolve!: (verdict: TrialVerdict) => void;
  private done = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly timing: TrialTiming,
    /** Whether watchers will say when it is healthy. */
    private readonly watched: boolean,
  ) {
    this.verdict = new Promise((resolve) => (this.resolve = resolve));
    this.timers.push(setTimeout(() => this.fail(`not healthy within ${timing.deadline_ms / 1000} s`), timing.deadline_ms));
  }

  /** It runs now (its watchers, if any, still to pass). */
  up(): void {
    if (this.watched || this.done) return;
    this.timers.push(setTimeout(() => this.pass(), this.timing.settle_ms));
  }

  /** Every watcher passes. */
  healthy(): void {
    if (this.watched) this.pass();
  }

  fail(reason: string): void {
    this.finish({ passed: false, reason });
  }

  private pass(): void {
    this.finish({ passed: true });
  }

  private finish(verdict: TrialVerdict): void {
    if (this.done) return;
    this.done = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.resolve(verdict);
  }
}
