/**
 * `spew export`: appliances as an appliance file that `spew apply` on a fresh host turns into
 * identical definitions. Each table is the appliance's source table as written (its file's `_`
 * defaults merged in, so it stands alone), plus what makes it this very appliance: its `ref`
 * and, for a container, the pinned `image_tag` and `image_digest`. Deterministic: the same
 * appliances always give the same bytes.
 */
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { mergeDefaults } from '../config/merge-defaults.js';
import { tomlTable } from '../config/toml-writer.js';
import { describeSource, type ApplianceVersion } from '../model/appliance-version.js';

/** Keys the export writes from the definition, whatever the source table said. */
const IDENTITY_KEYS = ['ref', 'image_tag', 'image_digest'] as const;

export function specOf(def: ApplianceDefinition): string {
  const options = Object.entries(def.options).map(([k, v]) => `${k}:${v}`);
  return options.length === 0 ? def.name : `${def.name}#${options.join(',')}`;
}

/** One appliance's table for its current version. */
export function exportTable(current: ApplianceVersion): string {
  const def = current.definition;
  if (Object.keys(current.raw.item).length === 0) {
    return `# ${def.name} (ref ${def.ref}): version ${current.version} has no source table recorded; not exported\n`;
  }
  const table: Record<string, unknown> = mergeDefaults(current.raw.defaults, current.raw.item);
  for (const key of IDENTITY_KEYS) delete table[key];
  for (const key of IDENTITY_KEYS) if (def[key] !== undefined) table[key] = def[key];
  return tomlTable(specOf(def), table);
}

/** Earlier versions as comments: they travel with the file for reading, and apply ignores them. */
export function exportHistoryComments(versions: readonly ApplianceVersion[]): string {
  return versions
    .map((v) => {
      const head = `# v${v.version} ${v.time} ${describeSource(v.source)} (hash ${v.hash})`;
      const body = exportTable(v).trimEnd().split('\n').map((line) => `#   ${line}`);
      return [head, ...body].join('\n');
    })
    .join('\n')
    .concat(versions.length > 0 ? '\n' : '');
}
