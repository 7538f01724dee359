/**
 * Bucket.data is merged in SQL: a stage move of one area and another area's progress recorded from a stale copy both
 * keep their keys; a key given as undefined is removed; a lost compare-and-set changes nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { transitionBucket } from '../../src/services/buckets/transition-bucket.ts';
import { findBucket, recordBucketProgress, bucketData } from '../../src/services/buckets/bucket-data.ts';
import { SYSTEM_ACTOR } from '../../src/domain/roles.ts';
import { productionEnv, type ProductionTestEnv } from '../helpers/production-support.ts';

let env: ProductionTestEnv;
before(async () => {
  env = await productionEnv();
});
after(async () => {
  await env.close();
});

test('when two areas write Bucket.data from stale copies, then both keep their keys and the move keeps the rest', async () => {
  const { prisma } = env.deps;
  await prisma.bucket.create({ data: { name: 'e5_bucket1', exp: 5, seq: 1, firstRun: 1, lastRun: 9, stage: 'closed', data: { keep: 1 } } });
  const stale = await findBucket(prisma, 'e5_bucket1');
  assert.equal(await recordBucketProgress(prisma, stale, { area: 'calibration', values: { stagingTag: 's', problem: 'boom' } }), true);
  assert.equal(await recordBucketProgress(prisma, stale, { area: 'loop', values: { finalTag: 'f' } }), true);
  // the move is made from the stale copy (no calibration key in it): the stored calibration progress survives
  const moved = await transitionBucket(env.deps, { ...stale }, 'producing', SYSTEM_ACTOR, {
    reason: 'test',
    data: { failure: 'x' },
    progress: { area: 'calibration', values: { runningTag: 'r', problem: undefined } },
  });
  assert.equal(moved, true);
  const b = await findBucket(prisma, stale.id);
  assert.equal(b.stage, 'producing');
  assert.deepEqual(bucketData(b.data), { keep: 1, failure: 'x', calibration: { stagingTag: 's', runningTag: 'r' }, loop: { finalTag: 'f' } });

  // progress for a stage the bucket has left, and a move from a stage it has left, change nothing
  assert.equal(await recordBucketProgress(prisma, stale, { area: 'loop', values: { finalTag: 'other' } }), false);
  assert.equal(await transitionBucket(env.deps, { ...stale }, 'producing', SYSTEM_ACTOR, { reason: 'again', data: { failure: 'y' } }), false);
  await assert.rejects(
    transitionBucket(env.deps, { ...stale }, 'producing', SYSTEM_ACTOR, { reason: 'again', required: true }),
    { code: 'CONFLICT' },
  );
  assert.deepEqual(bucketData((await findBucket(prisma, 'e5_bucket1')).data), bucketData(b.data));
  const audit = await prisma.auditEvent.findMany({ where: { targetId: 'e5_bucket1' } });
  assert.deepEqual(audit.map((a) => a.action), ['bucket.stage.producing']);
});
