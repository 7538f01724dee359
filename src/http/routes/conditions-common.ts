/** Roles and small helpers shared by the conditions route modules. */
import type { Request, Response } from 'express';
import type { Role } from '../../domain/roles.ts';

/** Who may change tags: tag states, running update, snapshot, merge (roles in src/domain/roles.ts). */
export const MANAGER: readonly Role[] = ['calibration_manager'];
/** IoV and payload mutations, tag creation and metadata. */
export const MANAGER_OR_ADMIN: readonly Role[] = ['calibration_manager', 'admin'];

/** True when one of the If-None-Match entities matches one of ours (weak comparison, as RFC 9110 asks for GET). */
export function notModified(req: Request, etags: readonly string[]): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  const ours = new Set(etags.map(strip));
  return header.split(',').some((t) => ours.has(strip(t)));
}

export function acceptsGzip(req: Request): boolean {
  return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

export function sendNotModified(res: Response, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(304).end();
}
