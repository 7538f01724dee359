/**
 * The whole content of one tag grouped by payload: every live IoV with its payload row. This is what a full download
 * of a tag needs (and what the Belle II door answers for `globalTag/{name}/globalTagPayloads`). Also the number of
 * distinct payloads per tag, which Belle II clients show as a tag's payload count.
 */
import type { Deps } from '../../deps.ts';
import { Prisma as P } from '../../db/generated/client.ts';
import type { IovRow } from './support/iovs.ts';
import type { PayloadRow } from './support/payloads.ts';
import { findTag, type TagRow } from './support/tags.ts';

export interface TagPayloadGroup {
  payload: PayloadRow;
  iovs: IovRow[];
}

export async function listTagPayloads(deps: Pick<Deps, 'prisma'>, tagName: string): Promise<{ tag: TagRow; groups: TagPayloadGroup[] }> {
  const tag = await findTag(deps.prisma, tagName);
  const rows = await deps.prisma.$queryRaw<Array<IovRow & { p_md5: string; p_sha256: string; p_size: bigint; p_storageKey: string; p_createdAt: Date; p_createdBy: string }>>`
    SELECT i.id, i."tagId", i."payloadId", i.name, i.revision, i."firstExp", i."firstRun", i."finalExp", i."finalRun",
      i."insertedAt", i."insertedBy", i."removedAt", i."removedBy",
      p.md5 AS p_md5, p.sha256 AS p_sha256, p.size AS p_size, p."storageKey" AS "p_storageKey", p."createdAt" AS "p_createdAt", p."createdBy" AS "p_createdBy"
    FROM "Iov" i JOIN "Payload" p ON p.id = i."payloadId"
    WHERE i."tagId" = ${tag.id} AND i."removedAt" IS NULL
    ORDER BY i.name, i.revision, i."firstExp", i."firstRun"`;
  const groups = new Map<number, TagPayloadGroup>();
  for (const r of rows) {
    let g = groups.get(r.payloadId);
    if (!g) {
      g = {
        payload: { id: r.payloadId, name: r.name, revision: r.revision, md5: r.p_md5, sha256: r.p_sha256, size: r.p_size, storageKey: r.p_storageKey, createdAt: r.p_createdAt, createdBy: r.p_createdBy },
        iovs: [],
      };
      groups.set(r.payloadId, g);
    }
    g.iovs.push({ id: r.id, tagId: r.tagId, payloadId: r.payloadId, name: r.name, revision: r.revision, firstExp: r.firstExp, firstRun: r.firstRun, finalExp: r.finalExp, finalRun: r.finalRun, insertedAt: r.insertedAt, insertedBy: r.insertedBy, removedAt: r.removedAt, removedBy: r.removedBy });
  }
  return { tag, groups: [...groups.values()] };
}

/** Distinct payloads with a live IoV, per tag id (of one tag, or of all). */
export async function countTagPayloads(deps: Pick<Deps, 'prisma'>, tagId?: number): Promise<Map<number, number>> {
  const one = tagId === undefined ? P.empty : P.sql`AND "tagId" = ${tagId}`;
  const rows = await deps.prisma.$queryRaw<Array<{ tagId: number; n: number }>>`
    SELECT "tagId", count(DISTINCT "payloadId")::int AS n FROM "Iov" WHERE "removedAt" IS NULL ${one} GROUP BY "tagId"`;
  return new Map(rows.map((r) => [r.tagId, r.n]));
}
