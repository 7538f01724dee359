/**
 * Where config/reprocessing.yaml says `auto_launch: true`, blessing launches the campaign itself; only the
 * data-production manager aborts it, with a reason: its jobs are cancelled and the bucket shows failed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedBucket, seedConditions } from '../helpers/loop-fixtures.ts';
import { ROOT_DIR } from '../../src/db/paths.ts';

let app: TestApp;
let dir: string;
let manager: string;
let dpm: string;
let ecl: string;
const BUCKET = 'e12_bucket1';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'calibloop-reprocessing-config-'));
  copyFileSync(join(ROOT_DIR, 'config', 'production.yaml'), join(dir, 'production.yaml'));
  writeFileSync(join(dir, 'reprocessing.yaml'), 'auto_launch: true\nrequire_good: [ecl]\n');
  app = await startTestApp({ env: { CALIBLOOP_PRODUCTION_FILE: join(dir, 'production.yaml') } });
  await seedBucket(app.deps.prisma, { firstRun: 1, lastRun: 3, stage: 'prompt_processing' });
  await seedConditions(app.deps, BUCKET);
  manager = await app.tokenFor('calibration_manager');
  dpm = await app.tokenFor('data_production_manager', [], 'dp_manager');
  ecl = await app.tokenFor('detector_expert', ['ecl']);
  await app.server.scheduler.runOnce('loop-prompt');
  assert.equal((await app.as(manager).post(`/windows/${BUCKET}/close`, { reason: 'nothing to fix' })).status, 200);
});
after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

test('when auto_launch is configured, then blessing launches the campaign as the system', async () => {
  const r = await app.as(manager).post(`/buckets/${BUCKET}/bless`, {});
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.campaign.state, 'running');
  assert.equal(r.data.campaign.launchedBy, 'system');
  assert.equal(r.data.campaign.bucketStage, 'reprocessing');
  assert.deepEqual(r.data.campaign.requirements.requireGood, ['ecl']);
  assert.equal(await app.deps.prisma.job.count({ where: { campaignId: r.data.campaign.id } }), 6);
});

test('when anyone but the data-production manager aborts, then 403; the manager aborts with a reason and the jobs are cancelled', async () => {
  const c = await app.deps.prisma.reprocessingCampaign.findFirstOrThrow();
  assert.equal((await app.as(ecl).post(`/reprocessing/${BUCKET}/abort`, { reason: 'x' })).status, 403);
  assert.equal((await app.as(manager).post(`/reprocessing/${BUCKET}/abort`, { reason: 'x' })).status, 403);
  assert.equal((await app.as(dpm).post(`/reprocessing/${BUCKET}/abort`, {})).status, 400);
  const r = await app.as(dpm).post(`/reprocessing/${BUCKET}/abort`, { reason: 'wrong tag, blessing to be redone' });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(r.data.state, 'aborted');
  assert.equal(r.data.cancelledJobs, 6);
  assert.equal(await app.deps.prisma.job.count({ where: { campaignId: c.id, state: { not: 'cancelled' } } }), 0);
  const bucket = await app.deps.prisma.bucket.findUniqueOrThrow({ where: { name: BUCKET } });
  assert.equal(bucket.stage, 'failed');
  assert.match(JSON.stringify(bucket.data), /aborted by dp_manager: wrong tag/);
  const audit = await app.deps.prisma.auditEvent.findFirstOrThrow({ where: { action: 'campaign.abort' } });
  assert.equal(audit.actor, 'dp_manager');
  await app.server.scheduler.runOnce('loop-campaigns');
  assert.equal((await app.deps.prisma.reprocessingCampaign.findFirstOrThrow()).state, 'aborted', 'the tick leaves an aborted campaign alone');
});
