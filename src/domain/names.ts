/**
 * The one grammar for names people give things: global tags, payloads, buckets, campaigns (named by their bucket) and
 * users. Documented in docs/contracts.md ("Names").
 *
 *   name = alnum *( alnum / "_" / "-" / "." )      1 to NAME_MAX characters, ASCII only, no ".."
 *
 * A name is used as a path segment (URLs, payload files `dbstore_<name>_rev_<n>.root`, localdb directories), so it may
 * not start with "." or "-" (`..`, `.hidden`, `-rf`) nor contain ".." ; being ASCII it holds no invisible or
 * direction-changing characters, so what a name displays is what it is.
 */
import { z } from 'zod';

export const NAME_MAX = 128;
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const NAME_RULE = 'letters, digits, "_", "-", "." only, starting with a letter or digit, no ".."';

export function nameProblem(name: string, max = NAME_MAX): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > max) return `at most ${max} characters`;
  if (!NAME_RE.test(name) || name.includes('..')) return NAME_RULE;
  return undefined;
}

export function isValidName(name: string, max = NAME_MAX): boolean {
  return nameProblem(name, max) === undefined;
}

/** A name of the one grammar (src/domain/names.ts), with the problem as the message. */
export function nameSchema(what: string, max = NAME_MAX) {
  return z
    .string()
    .max(max)
    .superRefine((s, ctx) => {
      const problem = nameProblem(s, max);
      if (problem) ctx.addIssue({ code: 'custom', message: `a ${what}: ${problem}` });
    })
    .meta({ pattern: NAME_RE.source, minLength: 1 } as never);
}

