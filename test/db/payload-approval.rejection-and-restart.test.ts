/**
 * Payload approval on a bucket produced by the real machinery:
 * - a rejected payload returns its calibration to the expert and blocks the running update (even with everything
 *   else approved); the expert's resubmission, once approved and calibrated, unblocks it;
 * - a restart between the approval and the running update (crashes injected after each finalising step, then fresh
 *   deps and server on the same database) completes the update exactly once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { bucketStage, calibrateUntil, produceBucket, restartedApp } from '../helpers/calibration-fixtures.ts';
import { finaliseBucketCalibrations, finaliseHooks } from '../../src/services/calibration/finalise-bucket-calibration.ts';
import { conditionsPort } from '../../src/services/conditions/store-conditions.ts';

let app: TestApp;
let bucket: string;
let manager: string;
let eclExpert: string;
const others: Array<{ close(): Promise<void> }> = [];

before(async () => {
  app = await startTestApp();
  manager = await app.tokenFor('calibration_manager', [], 'manager');
  eclExpert = await app.tokenFor('detector_expert', ['ecl'], 'ecl_expert');
  bucket = await produceBucket(app.deps, app.server.scheduler, { dir: app.home, firstRun: 1, lastRun: 4, eventsPerFile: 4000, seed: 5 });
  assert.equal(await calibrateUntil(app.deps, app.server.scheduler, bucket, ['awaiting_approval', 'failed']), 'awaiting_approval');
});
after(async () => {
  finaliseHooks.afterStep = undefined;
  for (const o of others) await o.close().catch(() => {});
  await app?.deps.executor.close();
  await app?.close();
});

const runningTagIovs = async () => {
  const t = await app.deps.prisma.globalTag.findUnique({ where: { name: 'data_prompt_running' } });
  return t ? app.deps.prisma.iov.findMany({ where: { tagId: t.id, removedAt: null }, orderBy: { id: 'asc' } }) : [];
};

test('when the manager rejects the ECL payload, then ECL returns to its expert and the running update waits although the rest is approved', async () => {
  const pending = (await app.as(manager).get('/payload-candidates', { params: { bucket } })).data;
  const ecl = pending.find((c: any) => c.name === 'ECLCrystalEnergyScale');
  const noComment = await app.as(manager).post('/payload-candidates/reject', { ids: [ecl.id] });
  assert.equal(noComment.status, 400);
  const r = await app.as(manager).post('/payload-candidates/reject', { ids: [ecl.id], comment: 'group 3 is 2% off the bhabha peak; check the window' });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.deepEqual(r.data.map((c: any) => [c.id, c.state]), [[ecl.id, 'rejected']]);
  const run = await app.deps.prisma.calibrationRun.findFirstOrThrow({ where: { calibration: 'ecl_energy' }, orderBy: { id: 'desc' } });
  assert.equal(run.state, 'rejected');
  const note = await app.deps.prisma.notification.findFirstOrThrow({ where: { kind: 'payload_rejected' } });
  assert.deepEqual((note.payload as any).experts, ['ecl_expert']);
  assert.match(note.message, /calibloop request submit ecl_energy/);
  const staging = await conditionsPort(app.deps).liveIovs(`data_prompt_staging_${bucket}`);
  assert.ok(!staging.some((i) => i.name === 'ECLCrystalEnergyScale'), 'the rejected payload left the staging tag');

  const approved = await app.as(manager).post('/payload-candidates/approve', { bucket, comment: 'the rest is fine' });
  assert.equal(approved.status, 200);
  assert.equal(approved.data.length, pending.length - 1);
  await app.server.scheduler.runOnce('calibration-finalise');
  await app.server.scheduler.runOnce('calibration-finalise');
  assert.equal(await bucketStage(app.deps, bucket), 'awaiting_approval');
  assert.deepEqual(await runningTagIovs(), [], 'the running tag is untouched');
  const s = (await app.as(eclExpert).get(`/calibrations/buckets/${bucket}`)).data;
  assert.equal(s.readyForRunningUpdate.ready, false);
  assert.match(s.readyForRunningUpdate.blockers.join(';'), /ecl_energy: payloads rejected/);
  const again = await app.as(manager).post('/payload-candidates/approve', { ids: [ecl.id] });
  assert.equal(again.status, 409, 'a rejected payload cannot be approved afterwards');
});

test('when the ECL expert resubmits and the new payload is approved, then the bucket is ready again', async () => {
  const req = await app.as(eclExpert).post('/requests', { calibration: 'ecl_energy', bucket, expertConfig: { window: 0.04 }, reason: 'narrower E/p window, as the manager asked' });
  assert.equal(req.status, 201);
  assert.equal((await app.as(manager).post(`/requests/${req.data.id}/approve`, {})).status, 200);
  assert.equal(await calibrateUntil(app.deps, app.server.scheduler, bucket, ['awaiting_approval', 'failed']), 'awaiting_approval');
  const pending = (await app.as(manager).get('/payload-candidates', { params: { bucket } })).data;
  assert.deepEqual(pending.map((c: any) => c.name), ['ECLCrystalEnergyScale']);
  const run = await app.deps.prisma.calibrationRun.findUniqueOrThrow({ where: { id: pending[0].calibrationRunId } });
  assert.deepEqual((run.expertConfig as any).window, 0.04);
  assert.equal((await app.as(manager).post('/payload-candidates/approve', { ids: [pending[0].id] })).status, 200);
});

test('when the server dies after each finalising step, then a restarted one completes the running update exactly once', async () => {
  class Crash extends Error {}
  // 1st process: dies right after the staging tag became VALIDATED.
  finaliseHooks.afterStep = (step) => {
    if (step === 'validate') throw new Crash('killed after validate');
  };
  const first = await app.server.scheduler.runOnce('calibration-finalise');
  assert.match(JSON.stringify(first.result), /killed after validate/);
  assert.equal(await bucketStage(app.deps, bucket), 'updating');
  await app.server.close();

  // 2nd process: dies right after the running update committed.
  const second = await restartedApp(app.deps.db, app.home, app.clock);
  others.push(second);
  finaliseHooks.afterStep = (step) => {
    if (step === 'running-update') throw new Crash('killed after the running update');
  };
  const r2 = await second.server.scheduler.runOnce('calibration-finalise');
  assert.match(JSON.stringify(r2.result), /killed after the running update/);
  assert.equal(await bucketStage(second.deps, bucket), 'updating');
  await second.close();

  // 3rd process: nothing injected.
  finaliseHooks.afterStep = undefined;
  const third = await restartedApp(app.deps.db, app.home, app.clock);
  others.push(third);
  await third.server.scheduler.runOnce('calibration-finalise');
  assert.equal(await bucketStage(third.deps, bucket), 'snapshotted');
  await finaliseBucketCalibrations(third.deps);

  const running = await third.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: 'data_prompt_running' } });
  assert.equal(await third.deps.prisma.tagEvent.count({ where: { tagId: running.id, kind: 'runningupdate' } }), 1, 'exactly one running update');
  const approved = await third.deps.prisma.payloadCandidate.findMany({ where: { bucketId: (await third.deps.prisma.bucket.findUniqueOrThrow({ where: { name: bucket } })).id, state: 'approved' } });
  const iovs = await runningTagIovs();
  assert.equal(iovs.length, approved.length, 'one IoV per approved payload, none twice');
  assert.deepEqual(
    iovs.map((i) => `${i.name}#${i.revision}@${i.firstRun}`).sort(),
    approved.map((c) => `${c.name}#${c.revision}@${c.firstRun}`).sort(),
  );
  const rejected = await third.deps.prisma.payloadCandidate.findFirstOrThrow({ where: { state: 'rejected' } });
  assert.ok(!iovs.some((i) => i.payloadId === rejected.payloadId), 'the rejected payload never reached the running tag');
  const snap = await third.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: `data_reprocessing_prompt_snapshot_${bucket}` } });
  assert.equal(snap.state, 'PUBLISHED');
});
