/**
 * Reads the bearer token, if any, and puts the actor on res.locals. It never refuses a request without a token by
 * itself: routes declare what they need (public reads stay anonymous, so thousands of jobs can fetch payloads without
 * credentials). A token that is present but wrong is refused at once.
 */
import type { RequestHandler } from 'express';
import { authenticate } from '../services/identity/tokens.ts';
import { DomainError } from '../domain/errors.ts';
import type { Deps } from '../deps.ts';

export function authMiddleware(deps: Pick<Deps, 'prisma' | 'clock'>): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    if (!header) return next();
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) return next(new DomainError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"'));
    try {
      res.locals.actor = await authenticate(deps.prisma, deps.clock, m[1]);
      next();
    } catch (e) {
      next(e);
    }
  };
}
