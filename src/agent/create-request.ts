/**
 * A create request's spec and options made into the item a config file would give: validated
 * the same way, whether the request came to this agent's socket or from another host.
 */
import { SpewError, errorMessage } from '../common/errors.js';
import type { LoadedItem } from '../config/appliance-file.js';
import { validateItem, type ItemDefaults } from '../config/item-validator.js';
import { parseSpec } from '../config/spec-parser.js';
import type { Placement } from '../cluster/placement.js';
import { field } from './request-body.js';

export function createdItem(specText: string, raw: Record<string, unknown>, defaults: ItemDefaults): LoadedItem {
  let spec;
  try {
    spec = parseSpec(specText);
  } catch (err) {
    throw new SpewError('INVALID_REQUEST', `spec: ${errorMessage(err)}`, { cause: err });
  }
  const { opts, problems } = validateItem(raw, { keyPrefix: 'item', locate: () => undefined, name: spec.name, specOptions: spec.options }, defaults);
  if (!opts) throw new SpewError('INVALID_REQUEST', problems.map((p) => `${p.keyPath}: ${p.message}`).join('\n'));
  return { spec, opts, file: '', line: 0, raw: { item: raw, defaults: {} } };
}

/** A create request's `host` and `constraint`, those given. */
export function placementOf(request: Record<string, unknown>): Partial<Placement> {
  const placement: Partial<Placement> = {};
  if (request.host !== undefined) placement.host = field(request, 'host', 'string');
  if (request.constraint !== undefined) {
    const constraint = field(request, 'constraint', 'object');
    for (const [key, value] of Object.entries(constraint)) {
      if (typeof value !== 'string') throw new SpewError('INVALID_REQUEST', `constraint.${key}: expected a string`);
    }
    placement.constraint = constraint as Record<string, string>;
  }
  return placement;
}
