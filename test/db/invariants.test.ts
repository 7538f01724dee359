/**
 * Invariants the database itself keeps, whatever the code does: one open-ended open bucket per experiment, and an
 * IoV's copied name and revision always those of its payload.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../helpers/db.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.close();
});

const bucket = (name: string, exp: number, seq: number, stage: string, lastRun: number | null) =>
  db.prisma.$executeRawUnsafe(`INSERT INTO "Bucket" (name, exp, seq, "firstRun", "lastRun", stage, "updatedAt") VALUES ($1, $2, $3, 1, $4, $5, now())`, name, exp, seq, lastRun, stage);

test('when a second open-ended open bucket is inserted for an experiment, then the database refuses it; other experiments and fixed ranges are fine', async () => {
  await bucket('e30_bucket1', 30, 1, 'open', null);
  await assert.rejects(bucket('e30_bucket2', 30, 2, 'open', null), /Bucket_one_open_per_exp|unique/i);
  await bucket('e31_bucket1', 31, 1, 'open', null);
  await bucket('e30_bucket3', 30, 3, 'open', 50); // a hand-made fixed range, closed right after its insert
  await bucket('e30_bucket4', 30, 4, 'closed', null);
  const [{ n }] = await db.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "Bucket" WHERE exp = 30 AND stage = 'open' AND "lastRun" IS NULL`);
  assert.equal(n, 1);
});

test("when an IoV's name or revision disagrees with its payload, then the database refuses it", async () => {
  const [p] = await db.prisma.$queryRawUnsafe<{ id: number }[]>(
    `INSERT INTO "Payload" (name, revision, md5, sha256, size, "storageKey", "createdBy") VALUES ('TieP', 1, 'm', 's', 1, 'k', 't') RETURNING id`);
  const [t] = await db.prisma.$queryRawUnsafe<{ id: number }[]>(
    `INSERT INTO "GlobalTag" (name, type, state, "createdBy", "updatedAt") VALUES ('tie_tag', 'release', 'OPEN', 't', now()) RETURNING id`);
  const iov = (name: string, revision: number) =>
    db.prisma.$executeRawUnsafe(
      `INSERT INTO "Iov" ("tagId", "payloadId", name, revision, "firstExp", "firstRun", "finalExp", "finalRun", "insertedBy") VALUES ($1, $2, $3, $4, 0, 0, -1, -1, 't')`,
      t.id, p.id, name, revision);
  await iov('TieP', 1);
  await assert.rejects(iov('OtherName', 1), /foreign key|Iov_payloadId_name_revision_fkey/i);
  await assert.rejects(iov('TieP', 2), /foreign key|Iov_payloadId_name_revision_fkey/i);
});
