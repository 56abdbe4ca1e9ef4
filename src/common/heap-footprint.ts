/**
 * What the agent does to keep its memory near what it holds rather than what it once used.
 *
 * The agent allocates in bursts (a thousand appliances brought up, a crash storm) and then sits
 * idle. V8 sizes its young generation for the burst (up to 16 MB a semi-space) and keeps it, so
 * the young generation is kept at its starting size (more, smaller scavenges during a burst).
 * The garbage of the burst waits for V8's memory reducer, which runs some seconds into the idle
 * time that follows, with the agent's resident size at its peak until then. Where V8 can hand
 * pages back on request (V8 12, Node 22: the binary's runtime), the heap is collected that way
 * once the boot has settled: measured with 1000 appliances, 112 MB resident at once rather than
 * 145 MB until the reducer runs. Older V8 has no such collection; a plain full one there was
 * measured to change neither the resident size nor the reducer's later run, so none is made.
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

/** After a burst: the heap collected and its free pages handed back now, where V8 can. */
export function compactHeap(): void {
  if (!LAST_RESORT) return;
  setFlagsFromString('--expose-gc');
  // The options object must come from gc's own context to be read.
  runInNewContext('gc({ type: "major", execution: "sync", flavor: "last-resort" })');
}
