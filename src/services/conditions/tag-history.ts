/** The append-only history of a tag, newest first: who did what, when, why. */
import { z } from 'zod';
import { Instant, textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { Prisma as P } from '../../db/generated/client.ts';
import { findTag } from './support/tags.ts';

export const TagHistoryQuerySchema = z.object({
  kind: z.string().max(40).optional().describe('exact kind, or a prefix ending in * (iov.*)'),
  since: Instant.optional(),
  until: Instant.optional(),
  limit: textInt(1, 10_000).default(500),
});
export type TagHistoryQuery = z.input<typeof TagHistoryQuerySchema>;

export interface TagEventView {
  id: string;
  at: Date;
  actor: string;
  kind: string;
  reason: string;
  details: unknown;
}

export async function tagHistory(deps: Deps, name: string, raw: TagHistoryQuery = {}): Promise<{ tag: string; events: TagEventView[] }> {
  const q = TagHistoryQuerySchema.parse(raw);
  const tag = await findTag(deps.prisma, name);
  const kind = q.kind ? (q.kind.endsWith('*') ? P.sql`AND kind LIKE ${`${q.kind.slice(0, -1)}%`}` : P.sql`AND kind = ${q.kind}`) : P.empty;
  const since = q.since ? P.sql`AND at >= ${q.since}` : P.empty;
  const until = q.until ? P.sql`AND at <= ${q.until}` : P.empty;
  const rows = await deps.prisma.$queryRaw<Array<{ id: bigint; at: Date; actor: string; kind: string; reason: string; details: unknown }>>`
    SELECT id, at, actor, kind, reason, details FROM "TagEvent" WHERE "tagId" = ${tag.id} ${kind} ${since} ${until}
    ORDER BY id DESC LIMIT ${q.limit}`;
  return { tag: tag.name, events: rows.map((r) => ({ ...r, id: r.id.toString() })) };
}
