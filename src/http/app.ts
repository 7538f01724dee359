/**
 * makeApp(deps): the Express 5 application. No listening here, so tests start it on port 0 and the server wraps it.
 */
import express from 'express';
import { randomUUID } from 'node:crypto';
import type { Deps } from '../deps.ts';
import { createRegistry, buildDocument } from './openapi.ts';
import { authMiddleware, redactUrl } from './auth.ts';
import { refusalRecorder } from '../services/audit/record-refusal.ts';
import { apiDocsRouter } from './api-docs.ts';
import { errorMiddleware } from './errors.ts';
import { registerAllRoutes } from './routes/index.ts';
import { suggestNames } from '../services/names/suggest-names.ts';
import type { RouteTools } from './route.ts';
import { DomainError } from '../domain/errors.ts';
import { dashboardRouter } from './dashboard.ts';
import { makeV2Router } from './v2/router.ts';

export function makeApp(deps: Deps) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // conditions reads set their own strong ETags
  app.set('query parser', 'extended');

  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      deps.metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      deps.metrics.httpDuration.observe({ method: req.method, route }, seconds);
      if (deps.logger.isLevelEnabled('http')) deps.logger.http('request', { requestId, method: req.method, path: redactUrl(req.originalUrl), status: res.statusCode, ms: Math.round(seconds * 1000), user: (res.locals.actor as { user?: string } | undefined)?.user });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await deps.prisma.$queryRaw`SELECT 1`;
      res.json({ status: 'ready', database: deps.db.kind });
    } catch (e) {
      deps.logger.warn('readiness check failed', { error: (e as Error).message });
      res.status(503).json({ status: 'unavailable', database: deps.db.kind });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  const api = express.Router();
  // JSON bodies only where declared; raw uploads read the stream themselves.
  // The token is read first (headers only), so a larger body limit is granted to authenticated callers only.
  api.use(authMiddleware(deps));
  // Routes that declare a larger body limit (bulk endpoints) parse first; the parser below then skips their body.
  const bodyParsers = express.Router();
  api.use(bodyParsers);
  api.use(express.json({ limit: deps.config.maxBody, strict: false, type: ['application/json', 'application/*+json'] }));
  const registry = createRegistry();
  const catalog: RouteTools['catalog'] = [];
  registerAllRoutes({ router: api, registry, catalog, bodyParsers }, deps);
  app.locals.routeCatalog = catalog;
  const document = buildDocument(registry);
  api.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  api.use((req, _res, next) => next(new DomainError('NOT_FOUND', `no endpoint ${req.method} ${req.baseUrl}${req.path}`)));
  app.use('/api/v1', api);
  app.use('/api/docs', apiDocsRouter());
  // the Belle II conditions REST API (basf2, b2conditionsdb), with its own error shape
  app.use('/v2', makeV2Router(deps));
  app.use(dashboardRouter());
  app.use((req, _res, next) => next(new DomainError('NOT_FOUND', `no endpoint ${req.method} ${req.path}`)));
  // /api/v1 and the dashboard answer a 404 for an unknown name with suggestions; /v2 keeps basf2's protocol (no hook)
  app.use(errorMiddleware(deps.logger, refusalRecorder(deps), (kind, typed, actor) => suggestNames(deps, kind, typed, actor)));
  return app;
}
