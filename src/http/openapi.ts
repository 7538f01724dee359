/**
 * The OpenAPI document: routes register themselves through defineRoute (src/http/route.ts); this file holds the shared
 * components (bearer security, the one error body) and the last pass that makes every operation complete — an example
 * for each success body (the route's own, else one built from its schema) — so a route added later gets it for free.
 */
import { OpenAPIRegistry, OpenApiGeneratorV3, extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

/** The body of every 4xx/5xx answer (src/http/errors.ts writes it). */
export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'INVALID_INPUT' }),
      message: z.string().openapi({ example: 'invalid body' }),
      details: z.unknown().optional().openapi({
        description:
          'field paths for invalid input (`[{path, message}]`), or rule specifics; on a 404 for a tag, bucket, calibration or campaign name that names nothing, `{suggestions: [names]}`: up to three existing names closest to it by edit distance, among those the caller may list (tags: anyone; the others: any token)',
      }),
      requestId: z.string().optional().openapi({ description: 'x-request-id of the refused request (quote it in bug reports)' }),
    }),
  })
  .openapi('Error', { example: { error: { code: 'INVALID_INPUT', message: 'invalid body', details: [{ path: 'body.user', message: 'Required' }], requestId: '5f0c…' } } });

export const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input (details name the field paths)',
  401: 'no or unknown token',
  403: 'role or detector scope does not allow it',
  404: 'no such object',
  409: 'conflict: someone changed it first, or the transition is not allowed from its current state',
  413: 'request body too large',
  422: 'a domain rule refused it (details say which)',
};

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'calibloop API token (calibloop token create)' });
  registry.register('Error', ErrorBodySchema);
  return registry;
}

export function buildDocument(registry: OpenAPIRegistry) {
  const doc = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'calibloop API',
      version: '1',
      description:
        'Prompt calibration loop and conditions data (global tags, payloads, IoVs). Reads of conditions are anonymous; every mutation needs a bearer token. Every refusal answers with the shared Error body.',
      license: { name: 'Proprietary (Belle II collaboration internal)', url: 'https://www.belle2.org' },
    },
    servers: [{ url: '/' }],
  });
  completeDocument(doc as unknown as OpenApiDoc);
  return doc;
}

type Json = Record<string, any>;
interface OpenApiDoc {
  paths: Record<string, Record<string, Json>>;
  components?: { schemas?: Record<string, Json> };
}

/** Fills what the generator leaves out: path parameters always required, nullable only with a type, examples. */
export function completeDocument(doc: OpenApiDoc): void {
  const schemas = doc.components?.schemas ?? {};
  walkSchemas(doc, (s) => {
    // `nullable` without a type sibling (z.unknown()) is invalid in 3.0: an untyped schema already allows anything.
    if (s.nullable && !s.type && !s.$ref && !s.allOf && !s.anyOf && !s.oneOf) delete s.nullable;
  });
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      for (const p of (op.parameters ?? []) as Json[]) {
        if (p.in !== 'path') continue;
        p.required = true;
        if (p.schema) delete p.schema.nullable;
      }
      for (const [status, r] of Object.entries(op.responses ?? {}) as [string, Json][]) {
        if (!/^2/.test(status) || !r.content) continue;
        for (const media of Object.values(r.content) as Json[]) {
          if (media.example === undefined && media.examples === undefined && media.schema) media.example = exampleOf(media.schema, schemas, 0);
        }
      }
    }
  }
}

function walkSchemas(node: unknown, visit: (s: Json) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walkSchemas(n, visit);
    return;
  }
  const o = node as Json;
  if ('nullable' in o) visit(o);
  for (const v of Object.values(o)) walkSchemas(v, visit);
}

/** A value that satisfies the schema, preferring the schema's own example, default or first enum member. */
export function exampleOf(s: Json, schemas: Record<string, Json>, depth: number): unknown {
  if (s.$ref) {
    const target = schemas[String(s.$ref).replace('#/components/schemas/', '')];
    return target && depth < 8 ? exampleOf(target, schemas, depth + 1) : {};
  }
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  const alt = s.oneOf ?? s.anyOf;
  if (Array.isArray(alt) && alt.length) return exampleOf(alt[0], schemas, depth + 1);
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((x: Json) => exampleOf(x, schemas, depth + 1)));
  switch (s.type) {
    case 'object': {
      const out: Json = {};
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Json>)) out[k] = exampleOf(v, schemas, depth + 1);
      return out;
    }
    case 'array':
      if (depth >= 8 || !s.items) return [];
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => exampleOf(s.items, schemas, depth + 1));
    case 'integer':
      return typeof s.minimum === 'number' ? Math.max(1, s.minimum) : 1;
    case 'number':
      return typeof s.minimum === 'number' ? Math.max(0.5, s.minimum) : 0.5;
    case 'boolean':
      return true;
    case 'string':
      if (s.format === 'date-time') return '2026-01-01T00:00:00.000Z';
      if (s.format === 'binary') return '';
      return 'string';
    default:
      return null;
  }
}
