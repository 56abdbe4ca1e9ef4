import type { Clock, Timers } from '../common/clock.js';

/** The clock and timer a WatcherLoop uses; injected so tests drive time by hand. */
export type LoopTimers = Clock & Timers;
