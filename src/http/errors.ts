/**
 * The one table from domain error codes to HTTP statuses, and the error middleware. User errors are 4xx with the
 * field paths; anything unknown is a 500 whose message is logged but never shown.
 */
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { DomainError, coerceError, type ErrorCode } from '../domain/errors.ts';
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
  UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

export function zodIssues(err: ZodError, prefix: string[] = []) {
  return err.issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join('.'), message: i.message }));
}

/** Prisma's own "record not found / unique violation" codes, surfaced as domain codes. */
function prismaCode(e: unknown): ErrorCode | undefined {
  const code = (e as { code?: string })?.code;
  if (code === 'P2025') return 'NOT_FOUND';
  if (code === 'P2002') return 'CONFLICT';
  return undefined;
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const requestId = res.locals.requestId as string | undefined;
    let status = 500;
    let body: ErrorBody;
    const bodyParserType = (err as { type?: string }).type;
    if (err instanceof DomainError) {
      status = STATUS_BY_CODE[err.code];
      body = { error: { code: err.code, message: err.message, details: err.details, requestId } };
    } else if (err instanceof ZodError) {
      status = 400;
      body = { error: { code: 'INVALID_INPUT', message: 'invalid input', details: zodIssues(err), requestId } };
    } else if (bodyParserType === 'entity.parse.failed') {
      status = 400;
      body = { error: { code: 'INVALID_INPUT', message: 'malformed JSON body', details: [{ path: 'body', message: String((err as Error).message) }], requestId } };
    } else if (bodyParserType === 'entity.too.large') {
      status = 413;
      body = { error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body too large', requestId } };
    } else if (bodyParserType?.startsWith('encoding.') || bodyParserType === 'charset.unsupported') {
      status = 415;
      body = { error: { code: 'INVALID_INPUT', message: String((err as Error).message), requestId } };
    } else if (prismaCode(err)) {
      const code = prismaCode(err)!;
      status = STATUS_BY_CODE[code];
      body = { error: { code, message: code === 'CONFLICT' ? 'already exists' : 'not found', requestId } };
    } else {
      const e = coerceError(err);
      logger.error('unhandled error', { requestId, method: req.method, path: req.path, error: e.message, stack: e.stack });
      body = { error: { code: 'INTERNAL', message: 'internal error; see the server log', requestId } };
    }
    if (status < 500) logger.http?.('request refused', { requestId, status, code: body.error.code, path: req.path });
    if (res.headersSent) return;
    res.status(status).json(body);
  };
}
