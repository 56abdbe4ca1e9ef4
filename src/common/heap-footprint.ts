/**
 * What the agent does to keep its memory near what it holds rather than what it once used.
 *
 * The agent allocates in bursts (a thousand appliances brought up, a crash storm) and then sits
 * idle. V8 sizes its young generation for the burst (up to 16 MB a semi-space) and keeps it;
 * the garbage of the burst waits for V8's memory reducer, which runs some tens of seconds into
 * the idle time that follows, costing a few hundred milliseconds of CPU, with the agent's
 * resident size at its peak until then. So the young generation is kept at its starting size
 * (more, smaller scavenges during a burst), and the heap is collected once the boot has
 * settled: the idle agent is idle, and small, from the start.
 *
 * V8 offers no API for either: flags set at run time are how Node's own tooling reaches them
 * (`--expose-gc` makes `gc` reachable from a new context).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8 12 (Node 22, the binary's) takes a "last resort" collection, which hands pages back. */
const LAST_RESORT = Number(process.versions.v8.split('.')[0]) >= 12;

/** Before the agent process loads anything: its young generation does not grow. */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** After a burst: one full collection now rather than the memory reducer's later. */
export function compactHeap(): void {
  setFlagsFromString('--expose-gc');
  // The options object must come from gc's own context to be read.
  runInNewContext(LAST_RESORT ? 'gc({ type: "major", execution: "sync", flavor: "last-resort" })' : 'gc()');
}
