import { randomBytes } from 'node:crypto';

/** A new appliance ref: 12 hex digits, like a short Docker id; it never changes afterwards. */
export function newRef(): string {
  return randomBytes(6).toString('hex');
}
