import type { ApplianceSpec } from '../model/appliance-definition.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_NAME_LENGTH = 64;
/** What a ref looks like (appliance/ref.ts): a name of this shape would shadow one. */
const REF_SHAPE = /^[0-9a-f]{12}$/;

/**
 * Reads `name#key:value,key:value`. Only the first ':' of an option separates key from value,
 * so values such as `image:redis:7` survive.
 */
export function parseSpec(text: string): ApplianceSpec {
  const hash = text.indexOf('#');
  const name = hash === -1 ? text : text.slice(0, hash);
  if (name === '') throw new Error(`invalid appliance spec ${JSON.stringify(text)}: missing name`);
  if (name.length > MAX_NAME_LENGTH) {
    throw new Error(`invalid appliance name ${JSON.stringify(name)}: longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (!NAME.test(name)) {
    throw new Error(
      `invalid appliance name ${JSON.stringify(name)}: use letters, digits, '_', '.' and '-', starting with a letter or digit`,
    );
  }
  if (REF_SHAPE.test(name)) {
    throw new Error(`invalid appliance name ${JSON.stringify(name)}: 12 hex digits read as a ref; add a letter beyond a-f`);
  }
  if (hash === -1) return { name, options: {} };

  const optionText = text.slice(hash + 1);
  const options = new Map<string, string>();
  if (optionText === '') throw new Error(`invalid appliance spec ${JSON.stringify(text)}: no options after '#'`);
  for (const option of optionText.split(',')) {
    const colon = option.indexOf(':');
    if (option === '') throw new Error(`invalid appliance spec ${JSON.stringify(text)}: empty option`);
    if (colon === -1) {
      throw new Error(`invalid appliance spec ${JSON.stringify(text)}: option ${JSON.stringify(option)} is not key:value`);
    }
    const key = option.slice(0, colon);
    if (key === '') {
      throw new Error(`invalid appliance spec ${JSON.stringify(text)}: option ${JSON.stringify(option)} has an empty key`);
    }
    if (options.has(key)) {
      throw new Error(`invalid appliance spec ${JSON.stringify(text)}: option ${JSON.stringify(key)} given twice`);
    }
    options.set(key, option.slice(colon + 1));
  }
  // fromEntries defines own properties, so even a key like `__proto__` is kept as written.
  return { name, options: Object.fromEntries(options) };
}

export function formatSpec(spec: ApplianceSpec): string {
  const options = Object.entries(spec.options).map(([key, value]) => `${key}:${value}`);
  return options.length === 0 ? spec.name : `${spec.name}#${options.join(',')}`;
}
