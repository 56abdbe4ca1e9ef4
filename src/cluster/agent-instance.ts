/**
 * The agent's identity across its own restarts, kept in its state dir: an agent killed with -9
 * and started again finds its `alive/` key still held by its old lease, and must tell "my own
 * earlier life" from "another agent with my name".
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readOwnFileAsync } from '../common/own-files.js';
import { writeFileAtomic } from '../store/atomic-write.js';

const FILE = 'cluster-instance';
const ID = /^[0-9a-f]{32}$/;

export async function agentInstance(stateDir: string): Promise<string> {
  const path = join(stateDir, FILE);
  const kept = (await readOwnFileAsync(path))?.trim();
  if (kept !== undefined && ID.test(kept)) return kept;
  const made = randomBytes(16).toString('hex');
  await writeFileAtomic(path, `${made}\n`);
  return made;
}
