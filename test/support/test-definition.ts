/**
 * Appliance definitions for tests, read by the config's own item validator from what a file's
 * table would say, so that they carry every default a real one does.
 */
import { validateItem } from '../../src/config/item-validator.js';
import type { ApplianceDefinition } from '../../src/model/appliance-definition.js';

const INSTANCE_DEFAULTS = { stop_timeout_ms: 10_000, depends_timeout_ms: 60_000 };

/** The definition of `name` from its table (`command` may be left out); its ref is `name-ref`. */
export function testDefinition(name: string, item: Record<string, unknown> = {}): ApplianceDefinition {
  const { opts, problems } = validateItem({ command: 'true', ...item }, { keyPrefix: name, locate: () => undefined, name }, INSTANCE_DEFAULTS);
  if (!opts) throw new Error(problems.map((p) => `${p.keyPath}: ${p.message}`).join('\n'));
  return { ...opts, name, options: {}, ref: `${name}-ref` };
}
