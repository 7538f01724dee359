/**
 * Reads the bearer token, if any, and puts the actor on res.locals. It never refuses a request without a token by
 * itself: routes declare what they need (public reads stay anonymous, so thousands of jobs can fetch payloads without
 * credentials). A token that is present but wrong is refused at once.
 */
import type { RequestHandler } from 'express';
import { authenticate } from '../services/identity/tokens.ts';
import { DomainError } from '../domain/errors.ts';
import type { Deps } from '../deps.ts';

/** What a calibloop token looks like (`clb_` + 43 base64url characters). */
const TOKEN_IN_TEXT = /clb_[A-Za-z0-9_-]{20,}/g;
/** Query keys other APIs use for credentials; never accepted here. */
const CREDENTIAL_KEYS = /^(access_token|token|api_key|apikey|auth)$/i;

/** The URL as it may be logged: anything that looks like a token, or a credential parameter, is replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url.replace(TOKEN_IN_TEXT, 'clb_[redacted]');
  const query = url
    .slice(q + 1)
    .split('&')
    .map((kv) => {
      const key = kv.split('=')[0];
      let decoded = key;
      try {
        decoded = decodeURIComponent(key);
      } catch {
        /* keep it raw */
      }
      return CREDENTIAL_KEYS.test(decoded) ? `${key}=[redacted]` : kv;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`.replace(TOKEN_IN_TEXT, 'clb_[redacted]');
}

/** A token in the URL ends up in logs, proxies and shell history: refused, whatever the endpoint. */
function tokenInUrl(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0) return false;
  TOKEN_IN_TEXT.lastIndex = 0;
  if (TOKEN_IN_TEXT.test(url)) return true;
  return url
    .slice(q + 1)
    .split('&')
    .some((kv) => CREDENTIAL_KEYS.test(kv.split('=')[0]));
}

export function authMiddleware(deps: Pick<Deps, 'prisma' | 'clock'>): RequestHandler {
  return async (req, res, next) => {
    if (tokenInUrl(req.originalUrl)) {
      return next(new DomainError('UNAUTHENTICATED', 'a token belongs in the Authorization header (Bearer), never in the URL', [{ path: 'query', message: 'credential in the URL' }]));
    }
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
