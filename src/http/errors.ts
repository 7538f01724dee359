/**
 * The one table from domain error codes to HTTP statuses, and the error middleware. User errors are 4xx with the
 * field paths; anything unknown is a 500 whose message is logged but never shown.
 */
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { DomainError, UnknownNameError, coerceError, type ErrorCode } from '../domain/errors.ts';
import type { Actor } from '../domain/roles.ts';
import type { Logger } from '../observability/logger.ts';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ILLEGAL_TRANSITION: 409,
  RULE_VIOLATION: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

type Issue = { code: string; path: PropertyKey[]; message: string; errors?: Issue[][] };

/** One issue as field paths; a union is opened to the branch that fits the value's type, so paths name the field. */
function flatten(issue: Issue, base: string[]): { path: string; message: string }[] {
  const here = [...base, ...issue.path.map(String)];
  if (issue.code === 'invalid_union' && issue.errors?.length) {
    const typeMismatch = (b: Issue[]) => b.length === 1 && b[0].code === 'invalid_type' && b[0].path.length === 0;
    const fitting = issue.errors.filter((b) => !typeMismatch(b));
    return (fitting.length ? fitting : issue.errors).flatMap((b) => b.flatMap((i) => flatten(i, here)));
  }
  return [{ path: here.join('.'), message: issue.message }];
}

export function zodIssues(err: ZodError, prefix: string[] = []) {
  return err.issues.flatMap((i) => flatten(i as unknown as Issue, prefix));
}

/** Prisma's own "record not found / unique violation" codes, surfaced as domain codes. */
function prismaCode(e: unknown): ErrorCode | undefined {
  const code = (e as { code?: string })?.code;
  if (code === 'P2025') return 'NOT_FOUND';
  if (code === 'P2002') return 'CONFLICT';
  return undefined;
}

/**
 * The HTTP status an error from a library carries (body-parser, Express's URI decoding, send): body-parser sets
 * `status`/`statusCode` and `expose`; only 4xx are the client's fault, anything else stays a 500.
 */
function carriedStatus(e: unknown): number | undefined {
  const s = (e as { status?: unknown; statusCode?: unknown } | null)?.status ?? (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' && Number.isInteger(s) && s >= 400 && s < 500 ? s : undefined;
}

/** Code and message of a library 4xx in our shape. */
function libraryRefusal(err: unknown, status: number): { code: string; message: string; details?: unknown } {
  const type = (err as { type?: string }).type;
  const message = String((err as Error).message ?? 'bad request');
  if (type === 'entity.parse.failed') return { code: 'INVALID_INPUT', message: 'malformed JSON body', details: [{ path: 'body', message }] };
  if (type === 'entity.too.large') return { code: 'PAYLOAD_TOO_LARGE', message: `request body too large (limit ${(err as { limit?: number }).limit ?? '?'} bytes)` };
  if (err instanceof URIError) return { code: 'INVALID_INPUT', message: 'malformed percent-encoding in the URL', details: [{ path: 'params', message }] };
  if (status === 413) return { code: 'PAYLOAD_TOO_LARGE', message };
  if (status === 415) return { code: 'UNSUPPORTED_MEDIA_TYPE', message };
  return { code: 'INVALID_INPUT', message };
}

/** Called before a 4xx is sent (the refusal audit); awaited, so the record exists when the client sees the answer. */
export type RefusalHook = (r: { method: string; path: string; status: number; code: string; message: string; actor?: { user: string; role: string }; ip?: string }) => Promise<void>;

/** The closest existing names for a name that names nothing, among those the caller may see (services/names). */
export type SuggestHook = (kind: UnknownNameError['kind'], typed: string, actor: Actor | undefined) => Promise<string[]>;

/** `details.suggestions` of a 404 for an unknown name; a failing lookup never hides the real answer. */
async function suggestionDetails(err: UnknownNameError, actor: Actor | undefined, suggest: SuggestHook, logger: Logger): Promise<{ suggestions: string[] }> {
  try {
    return { suggestions: await suggest(err.kind, err.typed, actor) };
  } catch (e) {
    logger.warn('name suggestions failed', { kind: err.kind, error: coerceError(e).message });
    return { suggestions: [] };
  }
}

export function errorMiddleware(logger: Logger, onRefusal?: RefusalHook, suggest?: SuggestHook): ErrorRequestHandler {
  return async (err, req, res, _next) => {
    const requestId = res.locals.requestId as string | undefined;
    let status = 500;
    let body: ErrorBody;
    const libraryStatus = carriedStatus(err);
    if (err instanceof UnknownNameError && suggest) {
      status = STATUS_BY_CODE[err.code];
      body = { error: { code: err.code, message: err.message, details: await suggestionDetails(err, res.locals.actor as Actor | undefined, suggest, logger), requestId } };
    } else if (err instanceof DomainError) {
      status = STATUS_BY_CODE[err.code];
      body = { error: { code: err.code, message: err.message, details: err.details, requestId } };
    } else if (err instanceof ZodError) {
      status = 400;
      body = { error: { code: 'INVALID_INPUT', message: 'invalid input', details: zodIssues(err), requestId } };
    } else if (libraryStatus !== undefined || err instanceof URIError) {
      // one path for every client error a library raises: bad JSON, bad Content-Encoding or charset (415 from
      // body-parser), a body over the limit (413), bad percent-encoding in the path (URIError, 400)
      status = libraryStatus ?? 400;
      body = { error: { ...libraryRefusal(err, status), requestId } };
    } else if (prismaCode(err)) {
      const code = prismaCode(err)!;
      status = STATUS_BY_CODE[code];
      body = { error: { code, message: code === 'CONFLICT' ? 'already exists' : 'not found', requestId } };
    } else {
      const e = coerceError(err);
      logger.error('unhandled error', { requestId, method: req.method, path: req.path, error: e.message, stack: e.stack });
      body = { error: { code: 'INTERNAL', message: 'internal error; see the server log', requestId } };
    }
    if (status < 500) {
      logger.http?.('request refused', { requestId, status, code: body.error.code, path: req.path });
      const actor = res.locals.actor as { user: string; role: string } | undefined;
      await onRefusal?.({ method: req.method, path: req.path, status, code: body.error.code, message: body.error.message, actor: actor && { user: actor.user, role: actor.role }, ip: req.ip });
    }
    if (res.headersSent) return;
    res.status(status).json(body);
  };
}
