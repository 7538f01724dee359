/**
 * `/v2`: the Belle II conditions database REST API that basf2 (C++ metadata provider) and `b2conditionsdb` (Python
 * `ConditionsDB`) speak, so a job or the tool is pointed at calibloop with one URL (docs/conditions.md). JSON only:
 * the clients send `Accept: application/json` (the Belle II server would answer XML otherwise); an Accept that rules
 * JSON out is answered 406. Payload files ignore Accept (the clients send the same header for them).
 */
import express, { type RequestHandler } from 'express';
import type { Deps } from '../../deps.ts';
import { DomainError } from '../../domain/errors.ts';
import { v2AuthMiddleware } from './auth.ts';
import { sendV2Error, v2ErrorMiddleware } from './errors.ts';
import { registerV2ReadRoutes } from './read-routes.ts';
import { registerV2WriteRoutes } from './write-routes.ts';

function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((t) => {
    const [type, ...params] = t.trim().toLowerCase().split(';');
    if (params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p))) return false;
    return type === '*/*' || type === 'application/*' || type === 'application/json' || /^application\/[\w.+-]*\+json$/.test(type);
  });
}

const jsonOnly: RequestHandler = (req, res, next) => {
  if (req.path.startsWith('/files/') || acceptsJson(req.headers.accept)) return next();
  sendV2Error(res, 406, `this server answers application/json only (Accept: ${req.headers.accept})`);
};

export function makeV2Router(deps: Deps): express.Router {
  const router = express.Router();
  router.use(jsonOnly);
  router.use(express.json({ limit: deps.config.maxBody, type: ['application/json'] }));
  router.use(v2AuthMiddleware(deps));
  registerV2ReadRoutes(router, deps);
  registerV2WriteRoutes(router, deps);
  router.use((req, _res, next) => next(new DomainError('NOT_FOUND', `no endpoint ${req.method} /v2${req.path}`)));
  router.use(v2ErrorMiddleware(deps.logger));
  return router;
}
