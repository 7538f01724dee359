/**
 * The bucket change mark (migration bucket_change_mark, services/production/plan-change-mark.ts): the counter moves
 * in the same transaction as anything production planning reads, once per transaction, and not for the engine's
 * moves that planning does not tell apart (created → submitted → running) nor for registration.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase } from '../helpers/db.ts';
import { FINAL_JOB_STATES, jobLifecycle } from '../../src/domain/job-states.ts';
import { planChangeMarks } from '../../src/services/production/plan-change-mark.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.close();
});

const mark = async (bucketId: number) => (await planChangeMarks({ prisma: db.prisma }, [bucketId])).get(bucketId)!;
const sql = (q: string, ...args: unknown[]) => db.prisma.$executeRawUnsafe(q, ...args);

async function seed(exp: number) {
  const b = await db.prisma.bucket.create({ data: { name: `e${exp}_bucket1`, exp, seq: 1, firstRun: 1, lastRun: 10, stage: 'producing' } });
  return b.id;
}

test('when runs, raw files and job final states of a bucket change, then its mark moves — and only its own', async () => {
  const b = await seed(40);
  const other = await seed(41);
  assert.equal(await mark(b), '0', 'a bucket nothing happened to yet');

  let m = await mark(b);
  const run = await db.prisma.run.create({ data: { exp: 40, run: 1, type: 'physics', startTime: new Date(), source: 't', bucketId: b } });
  assert.notEqual(await mark(b), m, 'a run added to the bucket');
  m = await mark(b);
  const file = await db.prisma.rawFile.create({ data: { runId: run.id, path: '/raw/f0', status: 'transferred', size: 1, checksum: '', events: 1 } });
  assert.notEqual(await mark(b), m, 'a raw file added');
  m = await mark(b);
  await db.prisma.rawFile.update({ where: { id: file.id }, data: { status: 'corrupt' } });
  assert.notEqual(await mark(b), m, 'a raw file flagged');

  // jobs: registration and the engine's moves before the end do not count; entering or leaving a final state does
  await sql(`INSERT INTO "Job" ("bucketId", step, exp, run, "idempotencyKey", state, "updatedAt")
             SELECT $1, 'hlt_skim', 40, 1, 'k' || g, 'created', now() FROM generate_series(1, 300) g`, b);
  m = await mark(b);
  for (const to of ['submitted', 'running']) {
    await sql(`UPDATE "Job" SET state = $1 WHERE "bucketId" = $2`, to, b);
    assert.equal(await mark(b), m, `created/submitted → ${to} is not a change for planning`);
  }
  await sql(`UPDATE "Job" SET "heartbeatAt" = now() WHERE "bucketId" = $1`, b);
  assert.equal(await mark(b), m, 'a heartbeat is not a change');
  await sql(`UPDATE "Job" SET state = 'succeeded' WHERE "bucketId" = $1`, b);
  const after = await mark(b);
  assert.equal(BigInt(after) - BigInt(m), 1n, '300 jobs finishing in one statement move the mark once');
  await sql(`UPDATE "Job" SET state = 'created' WHERE "bucketId" = $1 AND "idempotencyKey" = 'k1'`, b);
  assert.notEqual(await mark(b), after, 'a job leaving a final state (resubmit)');
  assert.equal(await mark(other), '0', 'the other bucket saw nothing');
});

test('when a change is rolled back, then the mark is as it was; a deleted bucket leaves no counter behind', async () => {
  const b = await seed(42);
  const run = await db.prisma.run.create({ data: { exp: 42, run: 1, type: 'physics', startTime: new Date(), source: 't', bucketId: b } });
  const m = await mark(b);
  await assert.rejects(
    db.prisma.$transaction(async (tx) => {
      await tx.rawFile.create({ data: { runId: run.id, path: '/raw/r', status: 'transferred', size: 1, checksum: '', events: 1 } });
      throw new Error('roll back');
    }),
    /roll back/,
  );
  assert.equal(await mark(b), m);
  await sql(`INSERT INTO "Job" ("bucketId", step, "idempotencyKey", state, "updatedAt") VALUES ($1, 'hlt_skim', 'del1', 'succeeded', now())`, b);
  // deleting the bucket sets its runs' and jobs' bucket to NULL (their foreign keys): the triggers must not recreate it
  await sql(`DELETE FROM "Bucket" WHERE id = $1`, b);
  const [{ n }] = await db.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "BucketChange" WHERE "bucketId" = $1`, b);
  assert.equal(n, 0);
});

test("the job trigger's final states are the lifecycle's final states", async () => {
  const [{ def }] = await db.prisma.$queryRawUnsafe<{ def: string }[]>(
    `SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t WHERE t.tgname = 'Job_bucket_changed'`);
  const listed = new Set([...def.matchAll(/'([a-z_]+)'::text/g)].map((x) => x[1]));
  assert.deepEqual([...listed].sort(), [...FINAL_JOB_STATES].sort());
  for (const s of jobLifecycle.list) assert.ok(FINAL_JOB_STATES.includes(s) || !listed.has(s));
});
