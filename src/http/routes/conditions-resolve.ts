/**
 * Reads for processing: resolution of a tag chain at a run, and the plan of a basf2 local database export. Anonymous
 * (jobs fetch conditions without credentials). A chain of PUBLISHED tags never changes, so its answer carries a strong
 * ETag and `Cache-Control: public, max-age=…, immutable`, letting a Squid or CDN in front absorb thousands of jobs
 * starting at once; other chains are `no-cache` (revalidate with If-None-Match, answered 304).
 */
import { createHash } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import { LocalDbPlanSchema, ResolutionSchema } from '../response-schemas.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { resolveChainResponse, ResolveQuerySchema } from '../../services/conditions/resolve-chain.ts';
import { localDbPlan, LocalDbPlanQuerySchema } from '../../services/conditions/export-localdb.ts';
import { TagListQuery } from '../../services/conditions/support/schemas.ts';
import { notModified, PUBLISHED_MAX_AGE_S, sendEncoded, sendNotModified, wantsFresh } from './conditions-common.ts';

export function registerConditionsResolveRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/resolve',
      tag: 'conditions',
      summary: 'Payloads valid for (exp, run) in a tag chain: first tag wins per name, higher revision inside a tag',
      description:
        'Answer: {tags, validFor (the run interval in which this exact answer holds), immutable, payloads: [{name, revision, checksum (md5), url, iov, tag}]}. INVALID tags are refused (422). gzip when accepted.',
      auth: 'public',
      query: ResolveQuerySchema,
      response: ResolutionSchema,
    },
    async ({ req, res, query }) => {
      // Answer in the event loop's check phase: a burst of requests read in one poll phase is then answered together,
      // which measured ~25% less server CPU per request under 256 connections than answering each one in turn.
      await new Promise<void>((r) => setImmediate(r));
      // the query schema validated exactly what the service's schema checks; skip the second parse on the hot path
      const r = await resolveChainResponse(deps, { tags: query.tag, exp: query.exp, run: query.run, asOf: query.asOf }, { trusted: true, revalidate: wantsFresh(req) });
      sendEncoded(req, res, r);
    },
  );

  defineRoute(
    tools,
    {
      method: 'get',
      path: '/localdb',
      tag: 'conditions',
      summary: 'What a basf2 local database export of a tag chain holds (entries with file names, checksums, URLs)',
      auth: 'public',
      query: LocalDbPlanQuerySchema.extend({ tag: TagListQuery }),
      response: LocalDbPlanSchema,
    },
    async ({ req, res, query }) => {
      const plan = await localDbPlan(deps, { tags: query.tag, exp: query.exp, run: query.run, asOf: query.asOf });
      const body = Buffer.from(JSON.stringify({ ...plan, entries: plan.entries.map(({ storageKey: _k, ...e }) => e) }));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
      const headers = { ETag: etag, 'Cache-Control': plan.immutable ? `public, max-age=${PUBLISHED_MAX_AGE_S}, immutable` : 'no-cache' };
      if (notModified(req, [etag])) return sendNotModified(res, headers);
      res.writeHead(200, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length) });
      res.end(body);
    },
  );

}
