import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { applyBucketPolicy } from '../../src/services/buckets/apply-bucket-policy.ts';
import { createBucket } from '../../src/services/buckets/create-bucket.ts';
import { closeBucket } from '../../src/services/buckets/close-bucket.ts';
import { transitionBucket, failBucket } from '../../src/services/buckets/transition-bucket.ts';
import { recoverBucket } from '../../src/services/buckets/recover-bucket.ts';
import { importRuns } from '../../src/services/runs/import-runs.ts';
import { SYSTEM_ACTOR, type Actor } from '../../src/domain/roles.ts';
import type { Deps } from '../../src/deps.ts';
import { productionEnv, type ProductionTestEnv } from '../helpers/production-support.ts';

let env: ProductionTestEnv;
const manager: Actor = { user: 'dpm', role: 'data_production_manager', detectors: [] };

before(async () => {
  env = await productionEnv();
});
after(async () => {
  await env.close();
});

function runs(exp: number, nums: number[], o: { lumi?: number; hours?: number; type?: string } = {}) {
  return {
    runs: nums.map((run) => {
      const start = Date.parse('2026-11-01T00:00:00Z') + run * (o.hours ?? 1) * 3600_000;
      return { exp, run, type: o.type ?? 'physics', startTime: new Date(start).toISOString(), endTime: new Date(start + 3000_000).toISOString(), luminosity: o.lumi ?? 1, files: [] };
    }),
  };
}

function policy(p: Partial<Deps['production']['buckets']>): Deps {
  return { ...env.deps, production: { ...env.deps.production, buckets: { ...env.deps.production.buckets, maxRuns: null, maxDurationHours: null, maxLuminosityPb: null, idleHours: null, ...p } } };
}

const bucket = (name: string) => env.deps.prisma.bucket.findUniqueOrThrow({ where: { name }, include: { runs: { select: { run: true }, orderBy: { run: 'asc' } } } });

test('when runs arrive and no bucket is open, then one opens; when max_runs is reached it closes and the next run opens the next', async () => {
  await importRuns(env.deps, manager, runs(12, [1, 2, 3, 4]));
  const r = await applyBucketPolicy(policy({ maxRuns: 3 }));
  assert.deepEqual(r.opened, ['e12_bucket1', 'e12_bucket2']);
  assert.equal(r.closed.length, 1);
  const b1 = await bucket('e12_bucket1');
  assert.equal(b1.stage, 'closed');
  assert.equal(b1.lastRun, 3);
  assert.equal(b1.closeReason, 'runs');
  assert.deepEqual(b1.runs.map((x) => x.run), [1, 2, 3]);
  const b2 = await bucket('e12_bucket2');
  assert.equal(b2.stage, 'open');
  assert.deepEqual(b2.runs.map((x) => x.run), [4]);
  const audit = await env.deps.prisma.auditEvent.findMany({ where: { targetType: 'bucket', targetId: 'e12_bucket1' }, orderBy: { id: 'asc' } });
  assert.deepEqual(audit.map((a) => a.action), ['bucket.create', 'bucket.stage.closed']);
  assert.ok(env.logger.lines.some((l) => l.message === 'bucket stage' && l.bucket === 'e12_bucket1' && l.to === 'closed'));
});

test('when the policy runs again, then nothing changes (idempotent)', async () => {
  const r = await applyBucketPolicy(policy({ maxRuns: 3 }));
  assert.deepEqual(r, { assigned: 0, opened: [], closed: [], orphans: [] });
});

test('when a late run inside a closed bucket range arrives, then it joins that bucket', async () => {
  await env.deps.prisma.run.updateMany({ where: { exp: 12, run: 2 }, data: { bucketId: null } });
  const r = await applyBucketPolicy(policy({ maxRuns: 3 }));
  assert.equal(r.assigned, 1);
  assert.deepEqual((await bucket('e12_bucket1')).runs.map((x) => x.run), [1, 2, 3]);
});

test('when the luminosity or duration limit is reached, then the bucket closes with that reason', async () => {
  await importRuns(env.deps, manager, runs(13, [1, 2, 3], { lumi: 2 }));
  await applyBucketPolicy(policy({ maxLuminosityPb: 4 }));
  const b = await bucket('e13_bucket1');
  assert.equal(b.closeReason, 'luminosity');
  assert.equal(b.lastRun, 2);
  await importRuns(env.deps, manager, runs(14, [1, 2, 3, 4], { hours: 10 }));
  await applyBucketPolicy(policy({ maxDurationHours: 20 }));
  const d = await bucket('e14_bucket1');
  assert.equal(d.closeReason, 'duration');
  assert.equal(d.lastRun, 3);
});

test('when no run arrived for idle_hours, then the open bucket closes; runs of other types stay out of buckets', async () => {
  await importRuns(env.deps, manager, runs(15, [1, 2]));
  await importRuns(env.deps, manager, runs(15, [3], { type: 'cosmic' }));
  await applyBucketPolicy(policy({ idleHours: 24 }));
  assert.equal((await bucket('e15_bucket1')).stage, 'open');
  env.clock.advance(25 * 3600_000);
  await applyBucketPolicy(policy({ idleHours: 24 }));
  const b = await bucket('e15_bucket1');
  assert.equal(b.stage, 'closed');
  assert.equal(b.closeReason, 'idle');
  assert.deepEqual(b.runs.map((x) => x.run), [1, 2]);
});

test('when the manager creates a bucket overlapping another, then CONFLICT; with a last run it is created closed', async () => {
  await assert.rejects(createBucket(env.deps, manager, { exp: 12, firstRun: 2, lastRun: 10 }), { code: 'CONFLICT' });
  await importRuns(env.deps, manager, runs(16, [10, 11, 12]));
  const b = await createBucket(env.deps, manager, { exp: 16, firstRun: 10, lastRun: 11 });
  const stored = await bucket(b.name);
  assert.equal(stored.stage, 'closed');
  assert.equal(stored.closedBy, 'dpm');
  assert.deepEqual(stored.runs.map((x) => x.run), [10, 11]);
});

test('when the manager closes an open bucket at a lower run, then the runs above leave it for the next bucket', async () => {
  await importRuns(env.deps, manager, runs(17, [4, 5, 6]));
  await applyBucketPolicy(policy({}));
  assert.deepEqual((await bucket('e17_bucket1')).runs.map((x) => x.run), [4, 5, 6]);
  await closeBucket(env.deps, manager, 'e17_bucket1', { lastRun: 5, reason: 'end of beam period' });
  const b = await bucket('e17_bucket1');
  assert.equal(b.stage, 'closed');
  assert.equal(b.closeReason, 'manual');
  assert.deepEqual(b.runs.map((x) => x.run), [4, 5]);
  await assert.rejects(closeBucket(env.deps, manager, 'e17_bucket1', {}), { code: 'CONFLICT' });
  await applyBucketPolicy(policy({}));
  assert.deepEqual((await bucket('e17_bucket2')).runs.map((x) => x.run), [6]);
});

test('when two instances move the same bucket at once, then exactly one move lands', async () => {
  const b = await env.deps.prisma.bucket.findUniqueOrThrow({ where: { name: 'e13_bucket1' } });
  const results = await Promise.all([transitionBucket(env.deps, { ...b }, 'producing', SYSTEM_ACTOR, { reason: 'a' }), transitionBucket(env.deps, { ...b }, 'producing', SYSTEM_ACTOR, { reason: 'b' })]);
  assert.deepEqual(results.sort(), [false, true]);
  assert.equal(await env.deps.prisma.auditEvent.count({ where: { targetId: 'e13_bucket1', action: 'bucket.stage.producing' } }), 1);
  await assert.rejects(transitionBucket(env.deps, { ...b, stage: 'producing' }, 'done', SYSTEM_ACTOR, { reason: 'skip' }), { code: 'ILLEGAL_TRANSITION' });
});

test('when a producing bucket fails, then the data-production manager brings it back to producing; a detector expert may not', async () => {
  const b = await env.deps.prisma.bucket.findUniqueOrThrow({ where: { name: 'e13_bucket1' } });
  assert.ok(await failBucket(env.deps, b, SYSTEM_ACTOR, 'nothing produced'));
  await assert.rejects(recoverBucket(env.deps, { user: 'x', role: 'calibration_manager', detectors: [] }, 'e13_bucket1', 'try'), { code: 'FORBIDDEN' });
  const r = await recoverBucket(env.deps, manager, 'e13_bucket1', 'inputs fixed');
  assert.equal(r.stage, 'producing');
  const after = await env.deps.prisma.bucket.findUniqueOrThrow({ where: { name: 'e13_bucket1' } });
  assert.equal((after.data as any).failedFrom, null);
});
