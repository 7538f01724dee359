/**
 * One way to declare an endpoint: the same zod schemas validate the request and describe it in the OpenAPI document,
 * the role list is checked before the handler runs, and the handler only calls a service.
 */
import express, { type Request, type Response, type Router, type RequestHandler } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z, type ZodType } from 'zod';
import { DomainError } from '../domain/errors.ts';
import type { Actor, Role } from '../domain/roles.ts';
import { zodIssues } from './errors.ts';
import { controlCharacterIssues } from '../domain/strict-input.ts';
import { ErrorBodySchema, ERROR_DESCRIPTIONS } from './openapi.ts';

export type Auth = 'public' | 'authenticated' | readonly Role[];

export interface RouteSpec<P extends ZodType, Q extends ZodType, B extends ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** express-style path under /api/v1, e.g. /tags/:name */
  path: string;
  summary: string;
  tag: string;
  /** defaults to one derived from method and path (operationIdFor) */
  operationId?: string;
  /** an example success body for the document; without one, the document builds one from the response schema */
  example?: unknown;
  /** refusals beyond the ones derived from auth, path parameters and method (e.g. 413 for uploads) */
  errors?: number[];
  auth: Auth;
  params?: P;
  query?: Q;
  body?: B;
  response?: ZodType;
  /** media type(s) of the success body when it is not JSON (the handler writes it itself) */
  responseContentType?: string | readonly string[];
  /** status on success (default 200; 201 for POST that creates) */
  status?: number;
  description?: string;
  /** raw body (streamed) instead of JSON; the handler reads req itself */
  rawBody?: { contentType: string };
  /** a JSON body limit larger than the server's default, for bulk endpoints whose schema allows more */
  bodyLimitBytes?: number;
}

export interface RouteContext<P, Q, B> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  /** set when the route requires a token; undefined on public routes without one */
  actor: Actor | undefined;
}

export interface RouteTools {
  router: Router;
  registry: OpenAPIRegistry;
  /** every declared route, so tests can check each mutating endpoint against each role */
  catalog: { method: string; path: string; auth: Auth; response?: ZodType }[];
  /** mounted before the default JSON parser: routes with their own body limit parse here first */
  bodyParsers?: Router;
}

function parse<T extends ZodType>(schema: T | undefined, value: unknown, where: string): z.infer<T> {
  // no control characters anywhere a request carries text (src/domain/strict-input.ts); newlines only in bodies
  const unsafe = controlCharacterIssues(value, where, where !== 'body');
  if (unsafe.length) throw new DomainError('INVALID_INPUT', `invalid ${where}`, unsafe);
  if (!schema) return value as z.infer<T>;
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new DomainError('INVALID_INPUT', `invalid ${where}`, zodIssues(r.error, [where]));
  return r.data;
}

function hasBody(req: Request): boolean {
  return req.header('transfer-encoding') !== undefined || Number(req.header('content-length') ?? 0) > 0;
}

export function requireActor(auth: Auth, actor: Actor | undefined): void {
  if (auth === 'public') return;
  if (!actor) throw new DomainError('UNAUTHENTICATED', 'this operation needs a bearer token (Authorization: Bearer …)');
  if (auth === 'authenticated') return;
  if (!auth.includes(actor.role)) {
    throw new DomainError('FORBIDDEN', `role ${actor.role} may not do this; needs ${auth.join(' or ')}`);
  }
}

export function defineRoute<P extends ZodType, Q extends ZodType, B extends ZodType>(
  tools: RouteTools,
  spec: RouteSpec<P, Q, B>,
  handler: (ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown>,
): void {
  tools.catalog.push({ method: spec.method, path: spec.path, auth: spec.auth, response: spec.responseContentType ? undefined : spec.response });
  const openapiPath = '/api/v1' + spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  const security = spec.auth === 'public' ? [] : [{ bearerAuth: [] }];
  const roles = spec.auth === 'public' ? 'anyone' : spec.auth === 'authenticated' ? 'any token' : spec.auth.join(', ');
  const okStatus = spec.status ?? 200;
  tools.registry.registerPath({
    method: spec.method,
    path: openapiPath,
    operationId: spec.operationId ?? operationIdFor(spec.method, spec.path),
    summary: spec.summary,
    description: `${spec.description ?? ''}\n\nAllowed: ${roles}.`.trim(),
    tags: [spec.tag],
    security,
    request: {
      params: spec.params as never,
      query: spec.query as never,
      body: spec.rawBody
        ? { content: { [spec.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } } }
        : spec.body
          ? { content: { 'application/json': { schema: spec.body as never } } }
          : undefined,
    },
    responses: {
      [okStatus]: {
        description: 'success',
        content: spec.response
          ? Object.fromEntries(
              [spec.responseContentType ?? 'application/json'].flat().map((type) => [type, { schema: spec.response as never, ...(spec.example !== undefined ? { example: spec.example } : {}) }]),
            )
          : undefined,
      },
      ...Object.fromEntries(refusalsFor(spec).map((status) => [status, { description: ERROR_DESCRIPTIONS[status] ?? 'refused', content: { 'application/json': { schema: ErrorBodySchema } } }])),
    },
  });
  const wrapped: RequestHandler = async (req, res) => {
    const actor = res.locals.actor as Actor | undefined;
    requireActor(spec.auth, actor);
    const params = parse(spec.params, req.params, 'params');
    const query = parse(spec.query, req.query, 'query');
    if (spec.body && !spec.rawBody && hasBody(req) && !req.is(['application/json', 'application/*+json'])) {
      // a body the JSON parser skipped would be read as {} and act on defaults
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `send the body as application/json, not ${req.header('content-type') ?? 'without a content type'}`);
    }
    const body = spec.rawBody ? (undefined as z.infer<B>) : parse(spec.body, req.body, 'body');
    const result = await handler({ req, res, params, query, body, actor });
    if (res.headersSent) return;
    if (result === undefined) {
      res.status(spec.status ?? 204).end();
      return;
    }
    res.status(spec.status ?? 200).json(result);
  };
  if (spec.bodyLimitBytes) {
    if (!tools.bodyParsers) throw new Error(`${spec.method} ${spec.path} declares a body limit but the app mounts no bodyParsers router`);
    const large = express.json({ limit: spec.bodyLimitBytes, strict: false, type: ['application/json', 'application/*+json'] });
    // only callers with a token get the larger limit; the others meet the default one (and then 401/403)
    tools.bodyParsers[spec.method](spec.path, (req, res, next) => (res.locals.actor ? large(req, res, next) : next()));
  }
  tools.router[spec.method](spec.path, wrapped);
}

/** `get /tags/:name/iovs` → `getTagsByNameIovs`: unique because method + path are, stable for client generators. */
export function operationIdFor(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((seg) => (seg.startsWith(':') ? `by-${seg.slice(1)}` : seg))
    .flatMap((seg) => seg.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

/** Which refusals an endpoint can answer, from what it declares; each answers with the shared Error body. */
function refusalsFor(spec: { method: string; path: string; auth: Auth; errors?: number[] }): number[] {
  const out = new Set<number>([400]);
  if (spec.auth !== 'public') [401, 403].forEach((s) => out.add(s));
  if (spec.path.includes(':')) out.add(404);
  if (spec.method !== 'get') [409, 422].forEach((s) => out.add(s));
  for (const s of spec.errors ?? []) out.add(s);
  return [...out].sort((a, b) => a - b);
}
