/**
 * The one rule for values that arrive as text (query strings, path segments) and the no-coercion rule for JSON bodies.
 *
 * - A query or path integer is a string of decimal digits (at most 16, so it is exact) inside a stated range. `true`,
 *   `[1]`, `""`, `"1e3"`, `"-0"`, `" 12"` are refused; nothing is coerced. Code that calls a service directly may pass
 *   a JS integer, which meets the same range check.
 * - A body integer is a JSON number that is an integer (`z.number().int()`); zod refuses strings, booleans and null.
 * - A time is an ISO 8601 string with a time zone (`Z` or `+02:00`); `2026-03-01T10:00` is ambiguous and refused.
 * - Text has no control characters (see `controlCharacterIssues`), checked once for every request by `defineRoute`.
 */
import { z } from 'zod';

/** Largest id of an `Int` column (PostgreSQL integer). */
export const MAX_ID = 2_147_483_647;
const DIGITS = /^[0-9]{1,16}$/;

/** An integer from a query string or a path segment: digits only, min ≤ n ≤ max. */
export function textInt(min: number, max: number) {
  const inRange = z.number().int().min(min).max(max);
  return z
    .union([z.number(), z.string().regex(DIGITS, 'must be a whole number written in digits').transform(Number)])
    .pipe(inRange)
    .meta({ type: 'integer', minimum: min, maximum: max } as never);
}

/** A row id in a URL (`/tokens/{id}`): 1 ≤ id ≤ MAX_ID. */
export const IdText = textInt(1, MAX_ID).describe('numeric id');

/** A boolean from a query string: exactly "true" or "false" (or a JS boolean from code). */
export const TextBool = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((v) => v === true || v === 'true')
  .meta({ type: 'boolean' } as never);

/** A list from a query string: repeated (?a=x&a=y) or comma-separated (?a=x,y); an array from code or a body. */
export function textList<T extends z.ZodType>(item: T, max = 1000) {
  const items = z.array(item).min(1).max(max);
  const { $schema: _drop, ...itemSchema } = z.toJSONSchema(item, { io: 'input', unrepresentable: 'any' });
  return z
    .union([z.string().transform((v) => v.split(',').filter(Boolean)), z.array(z.unknown())])
    .pipe(items as never)
    .meta({ type: 'array', items: itemSchema, minItems: 1, maxItems: max } as never) as unknown as z.ZodType<z.output<typeof items>, unknown>;
}

const isoWithZone = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time with a time zone, e.g. 2026-03-01T10:00:00Z' });

/** A point in time (body or query): an ISO 8601 string with a time zone, or a Date from code. */
export const Instant = z
  .union([z.date(), isoWithZone.transform((s) => new Date(s))])
  .meta({ type: 'string', format: 'date-time' } as never);

/**
 * Characters refused in any text a request carries: C0 controls (NUL included) except tab/newline/carriage return,
 * DEL, C1 controls, and the invisible or direction-changing format characters (zero-width, bidi overrides/isolates,
 * BOM) that make a name display differently from what it is.
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/u;
/** In single-line values (path, query, header) tab and newlines are refused too. */
const CONTROL_OR_NEWLINE = /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/u;
/** Lone surrogates cannot be stored as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hasControlCharacters(s: string, singleLine = false): boolean {
  return (singleLine ? CONTROL_OR_NEWLINE : CONTROL).test(s) || LONE_SURROGATE.test(s);
}

/** Walks a parsed value and names every string (and object key) that carries a refused character. */
export function controlCharacterIssues(value: unknown, path: string, singleLine: boolean, out: { path: string; message: string }[] = [], depth = 0): { path: string; message: string }[] {
  if (out.length >= 20 || depth > 64) return out;
  if (typeof value === 'string') {
    if (hasControlCharacters(value, singleLine)) out.push({ path, message: 'contains a control, invisible or bidirectional character' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => controlCharacterIssues(v, `${path}.${i}`, singleLine, out, depth + 1));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (hasControlCharacters(k, true)) out.push({ path: `${path}.${k.replace(CONTROL_OR_NEWLINE, '?')}`, message: 'field name contains a control character' });
      controlCharacterIssues(v, `${path}.${k}`, singleLine, out, depth + 1);
    }
  }
  return out;
}
