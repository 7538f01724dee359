/**
 * IoV rows. They are never updated except for `removedAt`: a change removes the old row and inserts a new one, so a
 * tag can be read as of any time (insertedAt <= t < removedAt). Bulk writes go through `unnest` (one statement for a
 * thousand IoVs); ids are drawn from the sequence first so callers know which row is which.
 */
import { Prisma as P } from '../../../db/generated/client.ts';
import { conflict } from '../../../domain/errors.ts';
import { pointKey, type Iov } from '../../../domain/iov.ts';
import type { Db, Tx } from '../../../db/transaction.ts';

export interface IovRow extends Iov {
  id: number;
  tagId: number;
  payloadId: number;
  name: string;
  revision: number;
  insertedAt: Date;
  insertedBy: string;
  removedAt: Date | null;
  removedBy: string | null;
}

export interface NewIov extends Iov {
  payloadId: number;
  name: string;
  revision: number;
}

const COLUMNS = P.sql`id, "tagId", "payloadId", name, revision, "firstExp", "firstRun", "finalExp", "finalRun", "insertedAt", "insertedBy", "removedAt", "removedBy"`;

/** Rows alive at `asOf` (default: now, i.e. not removed). */
export function aliveAt(asOf?: Date) {
  return asOf
    ? P.sql`"insertedAt" <= ${asOf} AND ("removedAt" IS NULL OR "removedAt" > ${asOf})`
    : P.sql`"removedAt" IS NULL`;
}

/** SQL condition: the IoV covers (exp, run). */
export function coversSql(exp: number, run: number) {
  return P.sql`("firstExp" < ${exp} OR ("firstExp" = ${exp} AND "firstRun" <= ${run}))
    AND ("finalExp" = -1 OR "finalExp" > ${exp} OR ("finalExp" = ${exp} AND ("finalRun" = -1 OR "finalRun" >= ${run})))`;
}

/** SQL expression: the inclusive end key of an IoV row (see domain/iov.ts), NULL when open-ended. */
export const END_KEY_SQL = P.sql`(CASE WHEN "finalExp" = -1 THEN NULL ELSE "finalExp"::bigint * 4294967296 + (CASE WHEN "finalRun" = -1 THEN 4294967295 ELSE "finalRun" END) END)`;
export const START_KEY_SQL = P.sql`("firstExp"::bigint * 4294967296 + "firstRun")`;

export interface IovFilter {
  asOf?: Date;
  name?: string;
  /** only IoVs covering this run */
  at?: { exp: number; run: number };
  /** include removed rows too (history) */
  includeRemoved?: boolean;
}

export async function listIovs(db: Db, tagId: number, f: IovFilter = {}): Promise<IovRow[]> {
  const alive = f.includeRemoved ? P.sql`TRUE` : aliveAt(f.asOf);
  const name = f.name ? P.sql`AND name = ${f.name}` : P.empty;
  const at = f.at ? P.sql`AND ${coversSql(f.at.exp, f.at.run)}` : P.empty;
  return db.$queryRaw<IovRow[]>`SELECT ${COLUMNS} FROM "Iov" WHERE "tagId" = ${tagId} AND ${alive} ${name} ${at}
    ORDER BY name, "firstExp", "firstRun", id`;
}

export async function findIov(db: Db, tagId: number, id: number): Promise<IovRow | undefined> {
  const rows = await db.$queryRaw<IovRow[]>`SELECT ${COLUMNS} FROM "Iov" WHERE "tagId" = ${tagId} AND id = ${id}`;
  return rows[0];
}

/**
 * Live IoVs a running update needs to look at: open ones, ones ending at or after the run before R, ones starting at
 * or after R. Every other IoV ends well before R and no rule or operation concerns it.
 */
export async function iovsRelevantFrom(db: Db, tagId: number, firstValid: { exp: number; run: number }): Promise<IovRow[]> {
  const R = pointKey(firstValid.exp, firstValid.run);
  return db.$queryRaw<IovRow[]>`SELECT ${COLUMNS} FROM "Iov" WHERE "tagId" = ${tagId} AND "removedAt" IS NULL
    AND ("finalExp" = -1 OR ${END_KEY_SQL} >= ${R - 1}::bigint OR ${START_KEY_SQL} >= ${R}::bigint)
    ORDER BY name, "firstExp", "firstRun", id`;
}

export async function insertIovs(tx: Tx, tagId: number, rows: readonly NewIov[], at: Date, by: string): Promise<number[]> {
  if (rows.length === 0) return [];
  const idRows = await tx.$queryRaw<Array<{ id: number }>>`SELECT nextval(pg_get_serial_sequence('"Iov"', 'id'))::int AS id FROM generate_series(1, ${rows.length})`;
  const ids = idRows.map((r) => r.id);
  await tx.$executeRaw`INSERT INTO "Iov" (id, "tagId", "payloadId", name, revision, "firstExp", "firstRun", "finalExp", "finalRun", "insertedAt", "insertedBy")
    SELECT u.id, ${tagId}, u.pid, u.name, u.rev, u.e1, u.r1, u.e2, u.r2, ${at}, ${by}
    FROM unnest(${ids}::int[], ${rows.map((r) => r.payloadId)}::int[], ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.revision)}::int[],
                ${rows.map((r) => r.firstExp)}::int[], ${rows.map((r) => r.firstRun)}::int[], ${rows.map((r) => r.finalExp)}::int[], ${rows.map((r) => r.finalRun)}::int[])
      AS u(id, pid, name, rev, e1, r1, e2, r2)`;
  return ids;
}

/** Marks live rows removed; all of them must still be live (someone else changing them is a conflict). */
export async function removeIovs(tx: Tx, tagId: number, ids: readonly number[], at: Date, by: string): Promise<void> {
  if (ids.length === 0) return;
  const n = await tx.$executeRaw`UPDATE "Iov" SET "removedAt" = ${at}, "removedBy" = ${by}
    WHERE "tagId" = ${tagId} AND id = ANY(${[...ids]}::int[]) AND "removedAt" IS NULL`;
  if (n !== ids.length) throw conflict(`IoVs of the tag changed meanwhile (${ids.length - n} of ${ids.length} already removed); try again`);
}

export async function countIovs(db: Db, tagId: number): Promise<{ iovCount: number; payloadNames: number }> {
  const r = await db.$queryRaw<Array<{ n: number; names: number }>>`SELECT count(*)::int AS n, count(DISTINCT name)::int AS names FROM "Iov" WHERE "tagId" = ${tagId} AND "removedAt" IS NULL`;
  return { iovCount: r[0].n, payloadNames: r[0].names };
}

export interface IovView extends Iov {
  id: number;
  name: string;
  revision: number;
  insertedAt: Date;
  insertedBy: string;
  removedAt?: Date | null;
  removedBy?: string | null;
}

export function iovView(r: IovRow, withRemoval = false): IovView {
  const v: IovView = {
    id: r.id,
    name: r.name,
    revision: r.revision,
    firstExp: r.firstExp,
    firstRun: r.firstRun,
    finalExp: r.finalExp,
    finalRun: r.finalRun,
    insertedAt: r.insertedAt,
    insertedBy: r.insertedBy,
  };
  if (withRemoval) {
    v.removedAt = r.removedAt;
    v.removedBy = r.removedBy;
  }
  return v;
}

export const pickIov = (i: Iov): Iov => ({ firstExp: i.firstExp, firstRun: i.firstRun, finalExp: i.finalExp, finalRun: i.finalRun });
