/**
 * `spew explain`: every effective setting of an appliance and where its value came from: the
 * item's own table (a file line, or the API), the file's `_` defaults, the instance config, an
 * image resolution or upgrade, or spew's built-in default.
 */
import type { ApplianceDefinition } from '../model/appliance-definition.js';
import { specOf } from './appliance-export.js';
import { describeSource, type ApplianceVersion } from '../model/appliance-version.js';

export interface ExplainedSetting {
  key: string;
  value: unknown;
  from: string;
}

/** The key a file writes, for the definition fields whose names differ. */
const FILE_KEY: Partial<Record<keyof ApplianceDefinition, string>> = {
  stop_timeout_ms: 'stop_timeout',
  depends_timeout_ms: 'depends_timeout',
};
/** Settings an item takes from the instance config when it does not say. */
const FROM_INSTANCE = new Set(['stop_timeout', 'depends_timeout']);
/** Part of who the appliance is, not of what it runs. */
const IDENTITY = new Set(['name', 'ref', 'options', 'file']);

export function explain(versions: readonly ApplianceVersion[]): ExplainedSetting[] {
  const current = versions.at(-1);
  if (!current) return [];
  const def = current.definition;
  const { item, defaults } = current.raw;
  const origin = describeSource(current.source);
  const settings: ExplainedSetting[] = [
    { key: 'ref', value: def.ref, from: versions[0] ? `made by ${describeSource(versions[0].source)}` : origin },
    ...Object.entries(def.options).map(([key, value]) => ({ key: `spec option ${key}`, value, from: `the spec ${JSON.stringify(specOf(def))}` })),
  ];
  for (const [field, value] of Object.entries(def) as [keyof ApplianceDefinition, unknown][]) {
    if (IDENTITY.has(field) || value === undefined) continue;
    const key = FILE_KEY[field] ?? field;
    settings.push({ key, value, from: whereFrom(key, item, defaults, origin, versions) });
  }
  return settings;
}

function whereFrom(key: string, item: Record<string, unknown>, defaults: Record<string, unknown>, origin: string, versions: readonly ApplianceVersion[]): string {
  if (key in item) return key in defaults ? `${origin} (over the file's _ defaults)` : origin;
  if (key in defaults) return `the _ defaults of ${origin.replace(/:\d+$/, '')}`;
  if (key === 'image_tag' || key === 'image_digest') return pinnedBy(key, versions);
  if (FROM_INSTANCE.has(key)) return `the instance config (${key}), or its default`;
  return 'built-in default';
}

/** The version that set the pin to what it is now. */
function pinnedBy(key: 'image_tag' | 'image_digest', versions: readonly ApplianceVersion[]): string {
  const now = versions.at(-1)?.definition[key];
  let since = versions.at(-1);
  for (let i = versions.length - 2; i >= 0 && versions[i]?.definition[key] === now; i--) since = versions[i];
  return since ? `${describeSource(since.source)} (v${since.version})` : 'unknown';
}
