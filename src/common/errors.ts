/**
 * Errors that cross a boundary (API answer, CLI exit) carry a stable code. The code decides the
 * HTTP status and the CLI exit status, so scripts can rely on both.
 */
export type ErrorCode =
  | 'APPLIANCE_NOT_FOUND'
  | 'NAME_TAKEN'
  | 'INVALID_REQUEST'
  | 'INVALID_CONFIG'
  | 'ROUTE_NOT_FOUND'
  | 'AGENT_UNREACHABLE'
  | 'AGENT_BUSY'
  | 'INTERNAL';

const HTTP_STATUS: Record<ErrorCode, number> = {
  APPLIANCE_NOT_FOUND: 404,
  NAME_TAKEN: 409,
  INVALID_REQUEST: 400,
  INVALID_CONFIG: 400,
  ROUTE_NOT_FOUND: 404,
  AGENT_UNREACHABLE: 503,
  AGENT_BUSY: 409,
  INTERNAL: 500,
};

export class SpewError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SpewError';
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
