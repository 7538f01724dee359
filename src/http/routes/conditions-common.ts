/** Roles and small helpers shared by the conditions route modules. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Response } from 'express';
import type { Role } from '../../domain/roles.ts';
import type { EncodedBody } from '../../services/conditions/support/resolution-cache.ts';

/** Every conditions mutation: tags, states, IoVs, payloads, running update, snapshot, merge. Admin only manages users
 * and tokens (docs/deploy.md); an admin who must edit conditions gives themself a calibration_manager token. */
export const MANAGER: readonly Role[] = ['calibration_manager'];

/** True when one of the If-None-Match entities matches one of ours (weak comparison, as RFC 9110 asks for GET). */
export function notModified(req: Pick<IncomingMessage, 'headers'>, etags: readonly string[]): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  const ours = new Set(etags.map(strip));
  return header.split(',').some((t) => ours.has(strip(t)));
}

/** The client asked for a fresh answer (`Cache-Control: no-cache`, as basf2's Python client sends on every request). */
export function wantsFresh(req: Pick<IncomingMessage, 'headers'>): boolean {
  return /\bno-cache\b/i.test(String(req.headers['cache-control'] ?? '')) || /\bno-cache\b/i.test(String(req.headers.pragma ?? ''));
}

export function acceptsGzip(req: Pick<IncomingMessage, 'headers'>): boolean {
  return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

export function sendNotModified(res: Response, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(304).end();
}

/** How long caches in front may serve a PUBLISHED chain's answer without asking (an INVALID tag shows after at most this). */
export const PUBLISHED_MAX_AGE_S = 600;

/**
 * Writes a resolution answer serialised once (both doors, and the hot path before the router): gzip when accepted,
 * strong ETag per encoding, 304 on a match, `immutable` for PUBLISHED chains and `no-cache` (revalidate) otherwise.
 */
export function sendEncoded(req: Pick<IncomingMessage, 'headers'>, res: ServerResponse, enc: EncodedBody): void {
  const gzip = acceptsGzip(req);
  const headers: Record<string, string> = {
    ETag: gzip ? enc.etagGzip : enc.etag,
    'Cache-Control': enc.immutable ? `public, max-age=${PUBLISHED_MAX_AGE_S}, immutable` : 'no-cache',
    Vary: 'Accept-Encoding',
  };
  if (notModified(req, [enc.etag, enc.etagGzip])) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = gzip ? enc.gzip() : enc.body;
  headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = String(body.length);
  if (gzip) headers['Content-Encoding'] = 'gzip';
  res.writeHead(200, headers);
  res.end(body);
}
