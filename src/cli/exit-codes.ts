/**
 * The CLI's exit codes, one per class of failure, so a script can tell "fix your command" from "try again later".
 * Documented in docs/cli.md; the server's error codes (src/domain/errors.ts) map onto them.
 */
export const EXIT = {
  OK: 0,
  /** the command ran and reports a failure (config check found problems, the demo failed) */
  FAILED: 1,
  /** the command line or the input is wrong: unknown option, a value that does not parse, 400 from the server */
  USAGE: 2,
  /** what the command names does not exist (404) */
  NOT_FOUND: 3,
  /** no token, an unknown token, or a role/detector scope that does not allow it (401, 403) */
  FORBIDDEN: 4,
  /** someone changed it first, the transition is not allowed, or a domain rule refused it (409, 422) */
  CONFLICT: 5,
  /** the server failed or cannot be reached (5xx, connection refused): retrying later may help */
  SERVER: 6,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Record<string, ExitCode> = {
  INVALID_INPUT: EXIT.USAGE,
  PAYLOAD_TOO_LARGE: EXIT.USAGE,
  NOT_FOUND: EXIT.NOT_FOUND,
  UNAUTHENTICATED: EXIT.FORBIDDEN,
  FORBIDDEN: EXIT.FORBIDDEN,
  CONFLICT: EXIT.CONFLICT,
  ILLEGAL_TRANSITION: EXIT.CONFLICT,
  RULE_VIOLATION: EXIT.CONFLICT,
  UNAVAILABLE: EXIT.SERVER,
  INTERNAL: EXIT.SERVER,
};

export function exitCodeFor(code: string, status?: number): ExitCode {
  if (BY_CODE[code] !== undefined) return BY_CODE[code];
  if (status === undefined) return EXIT.FAILED;
  if (status >= 500) return EXIT.SERVER;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 401 || status === 403) return EXIT.FORBIDDEN;
  if (status === 409 || status === 422) return EXIT.CONFLICT;
  return EXIT.USAGE;
}
