/**
 * The keys only an appliance that runs an image has (see TypeCapabilities): `image`, `tag`,
 * `upgrade`, and the spec's `vsn` option. Same conventions as item-validator: every problem
 * reported at its key path.
 */
import type { ItemOpts, UpgradeSettings } from '../model/appliance-definition.js';
import { APPLIANCE_TYPES, capabilitiesOf, runsImages, type ApplianceType } from '../model/appliance-type.js';
import { parseDuration } from '../common/duration.js';
import { parseImageRef } from '../images/image-ref.js';
import { VersionConstraint } from '../images/version-constraint.js';
import { describeValue } from './describe-value.js';
import { isTable } from './is-table.js';
import { unknownKeyMessage } from './unknown-key-message.js';
import { expectedOneOf, type Path, type Report } from './value-readers.js';

export const IMAGE_KEYS = ['image', 'tag', 'upgrade', 'image_tag', 'image_digest'] as const;

const UPGRADE_KEYS = ['policy', 'interval', 'strategy', 'deadline'];
const UPGRADE_DEFAULTS: UpgradeSettings = { policy: 'manual', interval_ms: 3_600_000, deadline_ms: 60_000 };

export function readImage(value: unknown, path: Path, report: Report): unknown {
  if (typeof value !== 'string' || value === '') {
    report(path, `expected an image name like "127.0.0.1:5000/web", got ${describeValue(value)}`);
    return value;
  }
  try {
    const ref = parseImageRef(value);
    if (ref.tag !== undefined || ref.digest !== undefined) {
      report(path, `give the image without its tag, and the tag as tag = "${ref.tag ?? ref.digest}" or in the spec as #vsn:~>X.Y`);
    }
  } catch (err) {
    report(path, (err as Error).message);
  }
  return value;
}

export function readTag(value: unknown, path: Path, report: Report): unknown {
  if (typeof value !== 'string' || !/^\w[\w.-]{0,127}$/.test(value)) {
    report(path, `expected an image tag like "1.2.0", got ${describeValue(value)}`);
  }
  return value;
}

export function readDigest(value: unknown, path: Path, report: Report): unknown {
  if (typeof value !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(value)) {
    report(path, `expected an image digest like "sha256:" and 64 hex digits, got ${describeValue(value)}`);
  }
  return value;
}

export function readUpgrade(value: unknown, path: Path, report: Report): UpgradeSettings {
  if (!isTable(value)) {
    report(path, `expected a table like { policy = "auto", interval = "1h" }, got ${describeValue(value)}`);
    return UPGRADE_DEFAULTS;
  }
  for (const key of Object.keys(value)) {
    if (!UPGRADE_KEYS.includes(key)) report([...path, key], unknownKeyMessage(key, UPGRADE_KEYS));
  }
  const settings: UpgradeSettings = { ...UPGRADE_DEFAULTS };
  if (value.policy !== undefined) {
    if (value.policy === 'auto' || value.policy === 'manual') settings.policy = value.policy;
    else report([...path, 'policy'], expectedOneOf(['manual', 'auto'], value.policy));
  }
  if (value.strategy !== undefined) {
    if (value.strategy === 'start-first' || value.strategy === 'stop-first') settings.strategy = value.strategy;
    else report([...path, 'strategy'], expectedOneOf(['start-first', 'stop-first'], value.strategy));
  }
  for (const [key, field] of [['interval', 'interval_ms'], ['deadline', 'deadline_ms']] as const) {
    const raw = value[key];
    if (raw === undefined) continue;
    try {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new Error(`expected a duration like "1h", got ${describeValue(raw)}`);
      const ms = parseDuration(raw);
      if (ms <= 0) throw new Error('must be more than 0');
      settings[field] = ms;
    } catch (err) {
      report([...path, key], (err as Error).message);
    }
  }
  return settings;
}

/** What only makes sense per type, once every key has been read on its own. */
export function checkTypeKeys(opts: ItemOpts, specOptions: Record<string, string>, report: Report): void {
  if (!runsImages(opts.type)) {
    for (const key of IMAGE_KEYS) if (opts[key] !== undefined) report([key], `only for ${typesThat(runsImages)} appliances`);
    return;
  }
  if (opts.upgrade !== undefined && !capabilitiesOf(opts.type).upgrades) {
    report(['upgrade'], `only for ${typesThat((type) => capabilitiesOf(type).upgrades)} appliances`);
  }
  if (opts.image === undefined) report(['image'], `missing: a ${opts.type} appliance needs image = "registry/name"`);
  const vsn = specOptions.vsn;
  if (vsn !== undefined) {
    try {
      VersionConstraint.parse(vsn);
    } catch (err) {
      report([], `vsn: ${(err as Error).message}`);
    }
    if (opts.tag !== undefined) report(['tag'], 'give either tag or the spec\'s vsn constraint, not both');
  }
  if (opts.image_digest !== undefined && opts.image_tag === undefined) report(['image_digest'], 'goes with image_tag, the tag it is the digest of');
}

/** `type = "docker"`, or `type = "a" or "b"`: the types that can do something. */
function typesThat(can: (type: ApplianceType) => boolean): string {
  return `type = ${APPLIANCE_TYPES.filter(can).map((type) => JSON.stringify(type)).join(' or ')}`;
}
