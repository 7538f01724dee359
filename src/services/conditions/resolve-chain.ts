/**
 * Resolution of a tag chain at one run (docs/conditions.md): for each payload name, the first tag in the chain with an IoV
 * covering the run wins; inside a tag the higher revision wins. INVALID tags are refused.
 *
 * Current reads go through the in-process cache (support/resolution-cache.ts); reads `asOf` a time, or inside a
 * caller's transaction, go to the database (the history is kept in the IoV rows: insertedAt <= t < removedAt).
 */
import { z } from 'zod';
import { textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { unknownName } from '../../domain/errors.ts';
import { iov, MAX_EXP, MAX_RUN } from '../../domain/iov.ts';
import { assertServable, type TagState } from '../../domain/tag-states.ts';
import { resolveChainEntries } from '../../domain/resolution.ts';
import { AsOfSchema, TagListQuery, TagNameSchema } from './support/schemas.ts';
import type { TxOption } from '../../db/transaction.ts';
import { aliveAt, coversSql } from './support/iovs.ts';
import { conditionsCache, makeResponse, type CachedEntry, type CachedResponse, type ResolutionBody, type ResolveOptions } from './support/resolution-cache.ts';

export const ResolveQuerySchema = z.object({
  tag: TagListQuery.describe('tag chain, highest priority first (repeat ?tag= or separate with commas)'),
  exp: textInt(0, MAX_EXP),
  run: textInt(0, MAX_RUN),
  asOf: AsOfSchema,
});

export const ResolveChainSchema = z.object({
  tags: z.array(TagNameSchema).min(1).max(20),
  exp: z.number().int().min(0).max(MAX_EXP),
  run: z.number().int().min(0).max(MAX_RUN),
  asOf: z.date().optional(),
});
export type ResolveChainInput = z.input<typeof ResolveChainSchema>;

export type ResolutionResult = ResolutionBody & { exp: number; run: number; asOf: Date | null };

/** The serialised answer (cached for current reads), for the HTTP layer. `trusted`: the input was validated already. */
export async function resolveChainResponse(deps: Deps, raw: ResolveChainInput, opts: TxOption & ResolveOptions & { trusted?: boolean } = {}): Promise<CachedResponse> {
  const input = opts.trusted ? (raw as z.output<typeof ResolveChainSchema>) : ResolveChainSchema.parse(raw);
  if (!input.asOf && !opts.tx) return conditionsCache(deps).resolve(input.tags, input.exp, input.run, opts);
  return resolveFromDatabase(deps, input, opts);
}

/** The cached answer of a PUBLISHED chain, synchronously, when this instance holds it and may trust it; else undefined. */
export function cachedResolution(deps: Deps, tags: readonly string[], exp: number, run: number, opts: ResolveOptions = {}): CachedResponse | undefined {
  return conditionsCache(deps).peek(tags, exp, run, opts);
}

export async function resolveChain(deps: Deps, raw: ResolveChainInput, opts: TxOption = {}): Promise<ResolutionResult> {
  const input = ResolveChainSchema.parse(raw);
  const body = (!input.asOf && !opts.tx ? await conditionsCache(deps).resolve(input.tags, input.exp, input.run) : await resolveFromDatabase(deps, input, opts)).value;
  return { ...body, exp: input.exp, run: input.run, asOf: input.asOf ?? null };
}

async function resolveFromDatabase(deps: Deps, input: z.output<typeof ResolveChainSchema>, opts: TxOption): Promise<CachedResponse> {
  const db = opts.tx ?? deps.prisma;
  const infos = await db.$queryRaw<Array<{ id: number; name: string; state: TagState }>>`SELECT id, name, state FROM "GlobalTag" WHERE name = ANY(${input.tags}::text[])`;
  const byName = new Map(infos.map((i) => [i.name, i]));
  const chain = [];
  for (const name of input.tags) {
    const info = byName.get(name);
    if (!info) throw unknownName('tag', name);
    assertServable(name, info.state);
    // aliveAt/coversSql name bare columns that only Iov has, so they are unambiguous in this join
    const rows = await db.$queryRaw<CachedEntry[]>`SELECT i.name, i.revision, i."firstExp", i."firstRun", i."finalExp", i."finalRun", p.md5,
        i."payloadId", i.id AS "iovId", floor(extract(epoch FROM i."insertedAt") * 1000)::float8 AS "insertedAtMs", i."insertedBy",
        floor(extract(epoch FROM p."createdAt") * 1000)::float8 AS "payloadCreatedAtMs", p."createdBy" AS "payloadCreatedBy"
      FROM "Iov" i JOIN "Payload" p ON p.id = i."payloadId"
      WHERE i."tagId" = ${info.id} AND ${aliveAt(input.asOf)} AND ${coversSql(input.exp, input.run)}`;
    chain.push({ tag: name, entries: rows });
  }
  const immutable = input.tags.every((n) => byName.get(n)!.state === 'PUBLISHED');
  // Without the whole tag in hand, the answer is only known to hold for this run.
  return makeResponse(input.tags, iov(input.exp, input.run, input.exp, input.run), immutable, resolveChainEntries(chain, input.exp, input.run));
}
