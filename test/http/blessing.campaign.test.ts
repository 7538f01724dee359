/**
 * From the close of the fix window to a finished reprocessing campaign: the final tag is the fixes (clipped to the
 * bucket's runs) over the snapshot; blessing publishes it once and creates the campaign with the good runs (skipped
 * ones with reasons); only the data-production manager launches; the campaign follows its jobs to the end, warns
 * when failing beyond the threshold, moves the bucket to done, and reports.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedBucket, GOOD } from '../helpers/loop-fixtures.ts';
import { ensureTag } from '../../src/services/conditions/create-tag.ts';
import { setTagState } from '../../src/services/conditions/set-tag-state.ts';
import { SYSTEM_ACTOR } from '../../src/domain/roles.ts';
import { uploadPayload } from '../../src/services/conditions/upload-payload.ts';
import { addIov } from '../../src/services/conditions/add-iov.ts';
import { snapshotTag } from '../../src/services/conditions/snapshot-tag.ts';
import { resolveChain } from '../../src/services/conditions/resolve-chain.ts';

let app: TestApp;
let ecl: string;
let manager: string;
let dpm: string;
const BUCKET = 'e12_bucket1';
const FINAL = 'data_reprocessing_prompt_e12_bucket1';

before(async () => {
  app = await startTestApp();
  const d = app.deps;
  await seedBucket(d.prisma, { firstRun: 1, lastRun: 4, stage: 'prompt_processing', types: { 2: 'cosmic' }, quality: { 3: { ...GOOD, cdc: 'bad' } } });
  // the running tag holds the ECL constants from run 1 on (built OPEN, then set RUNNING)
  await ensureTag(d, SYSTEM_ACTOR, { name: 'data_prompt_running', type: 'running' });
  const p = await uploadPayload(d, SYSTEM_ACTOR, { name: 'ECLCrystalEnergyScale', source: Readable.from([Buffer.from('{"scale":1.0}')]) });
  await addIov(d, SYSTEM_ACTOR, { tag: 'data_prompt_running', payload: { name: p.name, revision: p.revision }, iov: { firstExp: 12, firstRun: 1, finalExp: -1, finalRun: -1 } });
  await setTagState(d, SYSTEM_ACTOR, { name: 'data_prompt_running', state: 'RUNNING' });
  await snapshotTag(d, SYSTEM_ACTOR, { source: 'data_prompt_running', bucket: BUCKET, reason: 'test snapshot' });
  ecl = await app.tokenFor('detector_expert', ['ecl'], 'ecl_expert');
  manager = await app.tokenFor('calibration_manager', [], 'calib_manager');
  dpm = await app.tokenFor('data_production_manager', [], 'dp_manager');
  await app.server.scheduler.runOnce('loop-prompt');
});
after(async () => {
  await app.close();
});

test('when the manager closes the window early with approved fixes, then the final tag holds the fix for the bucket\'s runs over the snapshot and awaits blessing', async () => {
  const up = await app.as(ecl).post(`/windows/${BUCKET}/fixes`, {
    name: 'ECLCrystalEnergyScale',
    iov: { firstExp: 12, firstRun: 1, finalExp: 12, finalRun: 4 },
    reason: 'recalibrated with more Bhabhas',
    contentBase64: Buffer.from('{"scale":1.02}').toString('base64'),
  });
  assert.equal(up.status, 201, JSON.stringify(up.data));
  assert.equal((await app.as(manager).post(`/fixes/${up.data.id}/approve`, {})).status, 200);
  assert.equal((await app.as(manager).post(`/windows/${BUCKET}/close`, {})).status, 400, 'a reason is required');
  const closed = await app.as(manager).post(`/windows/${BUCKET}/close`, { reason: 'all fixes in' });
  assert.equal(closed.status, 200, JSON.stringify(closed.data));
  assert.equal(closed.data.state, 'closed');
  assert.equal(closed.data.finalTag, FINAL);
  assert.equal(closed.data.bucketStage, 'awaiting_blessing');
  const tag = await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: FINAL } });
  assert.equal(tag.state, 'VALIDATED');
  const inBucket = await resolveChain(app.deps, { tags: [FINAL], exp: 12, run: 2 });
  assert.equal(inBucket.payloads.find((p) => p.name === 'ECLCrystalEnergyScale')?.revision, up.data.revision);
  const after = await resolveChain(app.deps, { tags: [FINAL], exp: 12, run: 5 });
  assert.equal(after.payloads.find((p) => p.name === 'ECLCrystalEnergyScale')?.revision, 1, 'outside the bucket the snapshot still answers');
  assert.ok(await app.deps.prisma.notification.findUnique({ where: { key: `awaiting-blessing:${BUCKET}` } }));
  const audit = await app.deps.prisma.auditEvent.findFirstOrThrow({ where: { action: 'window.close' } });
  assert.equal(audit.actor, 'calib_manager');
  assert.match(audit.summary, /closed early: all fixes in/);
});

test('when the manager blesses, then the tag is PUBLISHED and a campaign holds the good runs with reasons for the skipped; a second blessing is refused', async () => {
  assert.equal((await app.as(ecl).post(`/buckets/${BUCKET}/bless`, {})).status, 403);
  const r = await app.as(manager).post(`/buckets/${BUCKET}/bless`, { comment: 'looks good' });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.finalTag, FINAL);
  assert.equal(r.data.campaign.state, 'created');
  assert.equal((await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: FINAL } })).state, 'PUBLISHED');
  const show = await app.as(dpm).get(`/reprocessing/by-id/${r.data.campaign.id}`);
  const plan = show.data.runPlan as { run: number; selected: boolean; reason: string }[];
  assert.deepEqual(plan.filter((p) => p.selected).map((p) => p.run), [1, 4]);
  assert.match(plan.find((p) => p.run === 2)!.reason, /run type cosmic/);
  assert.match(plan.find((p) => p.run === 3)!.reason, /cdc quality is bad/);
  assert.deepEqual(show.data.tagChain, [FINAL]);
  const again = await app.as(manager).post(`/buckets/${BUCKET}/bless`, {});
  assert.equal(again.status, 409);
  assert.match(again.data.error.message, /already blessed/);
  assert.equal(await app.deps.prisma.reprocessingCampaign.count(), 1);
});

test('when a detector expert or the calibration manager tries to launch the campaign, then 403; the data-production manager launches it', async () => {
  const c = await app.deps.prisma.reprocessingCampaign.findFirstOrThrow();
  assert.equal((await app.as(ecl).post(`/reprocessing/${BUCKET}/launch`, {})).status, 403);
  assert.equal((await app.as(manager).post(`/reprocessing/${BUCKET}/launch`, {})).status, 403);
  assert.equal((await app.deps.prisma.reprocessingCampaign.findFirstOrThrow()).state, 'created');
  const r = await app.as(dpm).post(`/reprocessing/${BUCKET}/launch`, {});
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.state, 'running');
  assert.equal(r.data.bucketStage, 'reprocessing');
  const jobs = await app.deps.prisma.job.findMany({ where: { campaignId: c.id }, orderBy: { id: 'asc' } });
  assert.equal(jobs.length, 4, 'one job per raw file of runs 1 and 4');
  assert.deepEqual([...new Set(jobs.map((j) => j.run))], [1, 4]);
  assert.deepEqual(jobs[0].tagChain, [FINAL]);
  assert.ok((jobs[0].command as string[]).some((a) => a.includes('localdb')), 'jobs read the blessed tag through a local database');
  assert.equal((await app.as(dpm).post(`/reprocessing/${BUCKET}/launch`, {})).status, 409);
});

test('when the campaign\'s jobs end with one run failed on its input, then a warning goes out once, the campaign finishes, the bucket is done and the report says why', async () => {
  const c = await app.deps.prisma.reprocessingCampaign.findFirstOrThrow();
  const jobs = await app.deps.prisma.job.findMany({ where: { campaignId: c.id }, orderBy: { id: 'asc' } });
  // injected outcomes: run 1 succeeds, one file of run 4 is unreadable
  for (const j of jobs) {
    const bad = j.run === 4 && j.chunk === 1;
    await app.deps.prisma.job.update({
      where: { id: j.id },
      data: bad
        ? { state: 'failed', errorClass: 'input', errorMessage: 'input error: not a raw file', eventsIn: 0n }
        : { state: 'succeeded', eventsIn: 3000n, eventsOut: 2990n },
    });
  }
  await app.server.scheduler.runOnce('loop-campaigns');
  await app.server.scheduler.runOnce('loop-campaigns');
  const done = await app.deps.prisma.reprocessingCampaign.findFirstOrThrow();
  assert.equal(done.state, 'finished');
  assert.equal((await app.deps.prisma.bucket.findUniqueOrThrow({ where: { name: BUCKET } })).stage, 'done');
  assert.equal(await app.deps.prisma.notification.count({ where: { kind: 'reprocessing_failing' } }), 1);
  assert.ok(await app.deps.prisma.notification.findUnique({ where: { key: `reprocessing-finished:${c.id}` } }));
  const report = (await app.as(ecl).get(`/reprocessing/${BUCKET}/report`)).data;
  assert.equal(report.tag, FINAL);
  assert.deepEqual(report.summary.runs, { selected: 2, done: 1, failed: 1, pending: 0, skipped: 2 });
  assert.equal(report.summary.events.out, 3 * 2990, "events written by the succeeded jobs");
  assert.match(report.failed[0].reason, /input error/);
  assert.deepEqual(report.skipped.map((s: { run: number }) => s.run), [2, 3]);
  const abort = await app.as(dpm).post(`/reprocessing/${BUCKET}/abort`, { reason: 'too late' });
  assert.equal(abort.status, 409, 'a finished campaign cannot be aborted');
});
