/** Reads of global tags: the list (with IoV counts) and one tag. */
import { z } from 'zod';
import { textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { Prisma as P } from '../../db/generated/client.ts';
import { TagStateSchema, TagTypeSchema } from './support/schemas.ts';
import { findTag, tagView, type TagRow, type TagView } from './support/tags.ts';
import { countIovs } from './support/iovs.ts';

export const ListTagsQuerySchema = z.object({
  state: TagStateSchema.optional(),
  type: TagTypeSchema.optional(),
  contains: z.string().max(128).optional().describe('substring of the name'),
  limit: textInt(1, 5000).default(1000),
});
export type ListTagsQuery = z.input<typeof ListTagsQuerySchema>;

export async function listTags(deps: Deps, raw: ListTagsQuery = {}): Promise<TagView[]> {
  const q = ListTagsQuerySchema.parse(raw);
  const state = q.state ? P.sql`AND t.state = ${q.state}` : P.empty;
  const type = q.type ? P.sql`AND t.type = ${q.type}` : P.empty;
  const contains = q.contains ? P.sql`AND t.name LIKE ${`%${q.contains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}` : P.empty;
  const rows = await deps.prisma.$queryRaw<Array<TagRow & { iovCount: number; payloadNames: number }>>`
    SELECT t.id, t.name, t.type, t.state, t.description, t."fcsrExp", t."fcsrRun", t.version, t."createdAt", t."createdBy", t."updatedAt",
      COALESCE(c.n, 0)::int AS "iovCount", COALESCE(c.names, 0)::int AS "payloadNames"
    FROM "GlobalTag" t
    LEFT JOIN (SELECT "tagId", count(*) AS n, count(DISTINCT name) AS names FROM "Iov" WHERE "removedAt" IS NULL GROUP BY "tagId") c ON c."tagId" = t.id
    WHERE TRUE ${state} ${type} ${contains}
    ORDER BY t.name LIMIT ${q.limit}`;
  return rows.map((r) => tagView(r, { iovCount: r.iovCount, payloadNames: r.payloadNames }));
}

export async function showTag(deps: Deps, name: string): Promise<TagView> {
  const tag = await findTag(deps.prisma, name);
  return tagView(tag, await countIovs(deps.prisma, tag.id));
}
