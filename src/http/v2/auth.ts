/**
 * Identity on /v2: a calibloop token as `Authorization: Bearer <token>`, or as the password of HTTP Basic (what
 * `b2conditionsdb --http-user <you> --http-password <token>` sends). `b2conditionsdb` sends Basic credentials of its
 * own by default on every request; those are not calibloop tokens and are ignored, so reads stay anonymous and writes
 * are refused with 401. A Bearer or `clb_` token that is wrong is refused at once, as on /api/v1.
 */
import type { RequestHandler } from 'express';
import { authenticate, TOKEN_PREFIX } from '../../services/identity/tokens.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Deps } from '../../deps.ts';

function tokenOf(header: string): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) throw new DomainError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>" or Basic with the token as password');
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return password.startsWith(TOKEN_PREFIX) ? password : undefined;
}

export function v2AuthMiddleware(deps: Pick<Deps, 'prisma' | 'clock'>): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    if (!header) return next();
    try {
      const token = tokenOf(header);
      if (token) res.locals.actor = await authenticate(deps.prisma, deps.clock, token);
      next();
    } catch (e) {
      next(e);
    }
  };
}
