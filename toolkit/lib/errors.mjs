// @ts-check
/**
 * The toolkit's error classes and their exit codes (docs/contracts.md). The orchestrator reads the exit code, so the
 * mapping lives in exactly one place.
 *   0 ok · 65 input error (bad input file: flag it, do not retry) · 2 usage error · 1 any other software error.
 */

export const EXIT = Object.freeze({ OK: 0, SOFTWARE: 1, USAGE: 2, INPUT: 65 });

/** An input file is missing, unreadable, corrupt or truncated. The message always starts with `input error:`. */
export class InputError extends Error {
  /** @param {string} message without the `input error:` prefix */
  constructor(message) {
    super(`input error: ${message}`);
    this.name = 'InputError';
    this.exitCode = EXIT.INPUT;
  }
}

/** The command line is wrong (unknown flag, missing value, inputs that cannot go together). A software error. */
export class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(`usage error: ${message}`);
    this.name = 'UsageError';
    this.exitCode = EXIT.USAGE;
  }
}

/**
 * @param {unknown} err
 * @returns {{ exitCode: number, message: string, kind: 'input'|'usage'|'software' }}
 */
export function classify(err) {
  if (err instanceof InputError) return { exitCode: EXIT.INPUT, message: err.message, kind: 'input' };
  if (err instanceof UsageError) return { exitCode: EXIT.USAGE, message: err.message, kind: 'usage' };
  const message = err instanceof Error ? `software error: ${err.message}` : `software error: ${String(err)}`;
  return { exitCode: EXIT.SOFTWARE, message, kind: 'software' };
}
