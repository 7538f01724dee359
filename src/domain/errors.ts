/**
 * Domain errors carry a code, never an HTTP status: `src/http/errors.ts` maps codes to statuses in one table.
 */
export const ERROR_CODES = {
  INVALID_INPUT: 'INVALID_INPUT', // a request or file failed validation (field paths in details)
  UNAUTHENTICATED: 'UNAUTHENTICATED', // no or unknown token
  FORBIDDEN: 'FORBIDDEN', // token known, role or detector scope does not allow it
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT', // duplicate, or someone else changed the state first (compare-and-set lost)
  ILLEGAL_TRANSITION: 'ILLEGAL_TRANSITION', // a state machine refused the move
  RULE_VIOLATION: 'RULE_VIOLATION', // a domain rule refused the operation (overlap, running-update check, FCSR, window closed)
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE', // a body in a content type or encoding the operation does not take
  UNAVAILABLE: 'UNAVAILABLE', // a dependency (database, executor) is not reachable
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

/** The kinds of names people type that a 404 answers with "did you mean" for (src/services/names/suggest-names.ts). */
export type NameKind = 'tag' | 'bucket' | 'calibration' | 'campaign';

const NAME_LABELS: Record<NameKind, (name: string) => string> = {
  tag: (n) => `global tag ${n}`,
  bucket: (n) => `bucket ${n}`,
  calibration: (n) => `calibration "${n}"`,
  campaign: (n) => `reprocessing campaign ${n}`,
};

/**
 * A name that names nothing. It carries what was typed, so the API's error path can add the closest names the caller
 * may see (`details.suggestions`) in one place instead of every caller guessing on its own.
 */
export class UnknownNameError extends DomainError {
  constructor(
    readonly kind: NameKind,
    readonly typed: string,
  ) {
    super('NOT_FOUND', `${NAME_LABELS[kind](typed)} not found`);
  }
}

export const unknownName = (kind: NameKind, typed: string) => new UnknownNameError(kind, typed);
export const invalid = (message: string, details?: unknown) => new DomainError('INVALID_INPUT', message, details);
export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new DomainError('CONFLICT', message, details);
export const forbidden = (message: string) => new DomainError('FORBIDDEN', message);
export const ruleViolation = (message: string, details?: unknown) => new DomainError('RULE_VIOLATION', message, details);
export const illegalTransition = (message: string, details?: unknown) =>
  new DomainError('ILLEGAL_TRANSITION', message, details);

/** Turn anything thrown into an Error, so every catch can log and classify it the same way. */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'string') return new Error(e);
  try {
    return new Error(JSON.stringify(e));
  } catch {
    return new Error(String(e));
  }
}
