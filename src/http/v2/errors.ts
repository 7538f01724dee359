/**
 * Errors on /v2 in the shape basf2's Python client parses: `{code, reason, message}` with `code` the HTTP status and
 * `reason` its phrase ("Request GET ... returned 404 Not Found: <message>"). The classification is calibloop's one
 * error table (src/http/errors.ts); only the body is re-shaped, so both doors always agree on the status.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import { errorMiddleware, type ErrorBody } from '../errors.ts';
import type { Logger } from '../../observability/logger.ts';

export interface V2ErrorBody {
  code: number;
  reason: string;
  message: string;
  details?: unknown;
  requestId?: string;
}

export function v2ErrorBody(status: number, e: ErrorBody['error']): V2ErrorBody {
  const fields = Array.isArray(e.details) ? (e.details as Array<{ path?: unknown; message?: unknown }>).filter((d) => typeof d?.path === 'string' && typeof d?.message === 'string') : [];
  const message = fields.length ? `${e.message}: ${fields.map((d) => `${d.path}: ${d.message}`).join('; ')}` : e.message;
  return { code: status, reason: STATUS_CODES[status] ?? 'Error', message, ...(e.details !== undefined ? { details: e.details } : {}), requestId: e.requestId };
}

export function sendV2Error(res: Response, status: number, message: string): void {
  res.status(status).json(v2ErrorBody(status, { code: '', message, requestId: res.locals.requestId as string | undefined }));
}

export function v2ErrorMiddleware(logger: Logger): ErrorRequestHandler {
  const shared = errorMiddleware(logger);
  return (err, req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: ErrorBody) => json(v2ErrorBody(res.statusCode, body.error));
    shared(err, req, res, next);
  };
}
