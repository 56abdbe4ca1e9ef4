/**
 * Reads fields of a request body with the checks a client's mistakes need: a wrong or missing
 * field is an INVALID_REQUEST naming the field, never an exception inside a handler.
 */
import { SpewError } from '../common/errors.js';

type FieldType = 'string' | 'boolean' | 'number' | 'object' | 'array';
type TypeOf<T extends FieldType> = T extends 'string' ? string
  : T extends 'boolean' ? boolean
  : T extends 'number' ? number
  : T extends 'array' ? unknown[]
  : Record<string, unknown>;

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return value === null ? 'null' : typeof value;
}

export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SpewError('INVALID_REQUEST', `request body: expected a JSON object, got ${typeName(body)}`);
  }
  return body as Record<string, unknown>;
}

export function field<T extends FieldType>(body: Record<string, unknown>, name: string, type: T): TypeOf<T>;
export function field<T extends FieldType>(body: Record<string, unknown>, name: string, type: T, fallback: TypeOf<T>): TypeOf<T>;
export function field<T extends FieldType>(
  body: Record<string, unknown>,
  name: string,
  type: T,
  fallback?: TypeOf<T>,
): TypeOf<T> {
  const value = body[name];
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new SpewError('INVALID_REQUEST', `${name}: required`);
  }
  if (typeName(value) !== type) {
    throw new SpewError('INVALID_REQUEST', `${name}: expected ${type}, got ${typeName(value)}`);
  }
  return value as TypeOf<T>;
}
