/**
 * What goes wrong in a calibration loop and how it is recovered, on a bucket produced by the real machinery:
 * - a calibration that fails (expert_config force_fail) blocks only its dependents; its expert resubmits through an
 *   algorithm request, and the blocked calibrations then run;
 * - a calibration that still asks to iterate at max_iterations stops there, as a result of its own (sPHENIX STOP),
 *   and its payloads are approved only with a comment;
 * - a running update below the running tag's first condition-safe run is refused, visibly, and never moved.
 *
 * Config for this file: cdc_tracking has force_fail: true; ecl_energy may iterate 3 times with a tolerance it can
 * never reach.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { bucketStage, calibrateUntil, editedCalibrations, produceBucket } from '../helpers/calibration-fixtures.ts';
import { SYSTEM_ACTOR } from '../../src/domain/roles.ts';
import { ensureTag } from '../../src/services/conditions/create-tag.ts';
import { setFirstConditionSafeRun } from '../../src/services/conditions/set-fcsr.ts';

let app: TestApp;
let bucket: string;
let manager: string;
let cdcExpert: string;
const calibrationsDir = editedCalibrations({
  cdc_tracking: (d) => {
    d.expert_config.force_fail = true;
  },
  ecl_energy: (d) => {
    d.max_iterations = 3;
    d.expert_config.tolerance = 1e-12;
  },
});

async function status() {
  return (await app.as(manager).get(`/calibrations/buckets/${bucket}`)).data;
}
const current = (s: any) => Object.fromEntries(s.calibrations.filter((c: any) => c.current).map((c: any) => [c.calibration, c]));

before(async () => {
  app = await startTestApp({ config: { calibrationsDir } });
  manager = await app.tokenFor('calibration_manager', [], 'manager');
  cdcExpert = await app.tokenFor('detector_expert', ['cdc'], 'cdc_expert');
  bucket = await produceBucket(app.deps, app.server.scheduler, { dir: app.home, firstRun: 1, lastRun: 4, eventsPerFile: 4000, seed: 11 });
});
after(async () => {
  await app?.deps.executor.close();
  await app?.close();
  rmSync(calibrationsDir, { recursive: true, force: true });
});

test('when cdc_tracking fails, then only the calibrations depending on it are blocked and its expert is notified', async () => {
  assert.equal(await calibrateUntil(app.deps, app.server.scheduler, bucket, ['awaiting_approval', 'failed']), 'awaiting_approval');
  const cur = current(await status());
  const states = Object.fromEntries(Object.entries(cur).map(([k, v]: [string, any]) => [k, v.state]));
  assert.deepEqual(states, {
    arich_mask: 'converged',
    svd_alignment: 'converged',
    cdc_tracking: 'failed',
    cdc_dedx: 'blocked',
    ecl_energy: 'blocked',
    klm_efficiency: 'blocked',
    top_time: 'blocked',
  });
  assert.match(cur.cdc_tracking.message, /algorithm|failed/);
  assert.equal(cur.cdc_tracking.iterations.length, 1);
  assert.equal(cur.cdc_tracking.iterations[0].outcome, 'failed');
  assert.match(cur.ecl_energy.message, /cdc_tracking/);
  assert.equal(cur.ecl_energy.iterations.length, 0, 'blocked calibrations never ran a job');
  const jobs = await app.deps.prisma.job.findMany({ where: { step: 'calibration', variant: 'cdc_tracking' } });
  assert.equal(jobs.length, 1, 'one job for the one iteration; the failing algorithm is not retried blindly');
  const note = await app.deps.prisma.notification.findFirst({ where: { kind: 'calibration_failed' } });
  assert.match(note!.message, /cdc_tracking failed/);
  const pending = (await app.as(manager).get('/payload-candidates', { params: { bucket } })).data.map((c: any) => c.calibration).sort();
  assert.deepEqual(pending, ['arich_mask', 'svd_alignment']);
});

test('when the CDC expert resubmits without force_fail and the manager approves, then cdc_tracking converges and its dependents run', async () => {
  const req = await app.as(cdcExpert).post('/requests', { calibration: 'cdc_tracking', bucket, expertConfig: { force_fail: false }, reason: 'the failure was a test' });
  assert.equal(req.status, 201, JSON.stringify(req.data));
  const ok = await app.as(manager).post(`/requests/${req.data.id}/approve`, { comment: 'go ahead' });
  assert.equal(ok.status, 200, JSON.stringify(ok.data));
  assert.equal(await bucketStage(app.deps, bucket), 'calibrating', 'the bucket is back in calibration');
  assert.equal(await calibrateUntil(app.deps, app.server.scheduler, bucket, ['awaiting_approval', 'failed']), 'awaiting_approval');
  const s = await status();
  const cur = current(s);
  assert.equal(cur.cdc_tracking.state, 'converged');
  assert.equal(cur.cdc_tracking.requestId, req.data.id);
  assert.equal(s.calibrations.filter((c: any) => c.calibration === 'cdc_tracking').length, 2, 'the failed run is kept, superseded');
  for (const n of ['cdc_dedx', 'klm_efficiency', 'top_time']) assert.equal(cur[n].state, 'converged', `${n}: ${cur[n].message}`);
  assert.equal((await app.as(cdcExpert).get(`/requests/${req.data.id}`)).data.state, 'done');
});

test('when ecl_energy still asks to iterate at max_iterations, then it stops there as "stopped", flagged on its candidates', async () => {
  const cur = current(await status());
  const ecl = cur.ecl_energy;
  assert.equal(ecl.state, 'stopped');
  assert.deepEqual(ecl.iterations.map((i: any) => i.outcome), ['iterate', 'iterate', 'iterate']);
  assert.equal(ecl.iteration, 2);
  assert.match(ecl.message, /max_iterations 3/);
  assert.equal((await app.deps.prisma.job.count({ where: { step: 'calibration', variant: 'ecl_energy' } })), 3, 'no job beyond the bound');
  const cands = ecl.candidates;
  assert.equal(cands.length, 1);
  assert.equal(cands[0].outcome, 'stopped');
  assert.equal(cands[0].metrics.stoppedAtBound, true);
  const bare = await app.as(manager).post('/payload-candidates/approve', { bucket });
  assert.equal(bare.status, 400);
  assert.match(bare.data.error.message, /stopped at the iteration bound/);
  assert.equal(await app.deps.prisma.payloadCandidate.count({ where: { state: 'approved' } }), 0, 'nothing approved by the refused call');
  const withComment = await app.as(manager).post('/payload-candidates/approve', { bucket, comment: 'ECL moved by < 1e-3 in the last iteration: good enough' });
  assert.equal(withComment.status, 200);
});

test('when the running tag is already processed beyond the bucket, then the running update is refused and the bucket fails visibly', async () => {
  await ensureTag(app.deps, SYSTEM_ACTOR, { name: 'data_prompt_running', type: 'running', state: 'RUNNING', description: 'test' });
  await setFirstConditionSafeRun(app.deps, SYSTEM_ACTOR, { tag: 'data_prompt_running', exp: 12, run: 3, reason: 'runs 1-2 processed' });
  assert.equal(await calibrateUntil(app.deps, app.server.scheduler, bucket, ['failed', 'snapshotted']), 'failed');
  const s = await status();
  assert.match(s.failure, /running update refused/);
  const running = await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: 'data_prompt_running' } });
  assert.equal(await app.deps.prisma.iov.count({ where: { tagId: running.id } }), 0, 'nothing was moved to the FCSR silently');
  // The operator corrects the FCSR; the calibration manager brings the bucket back; the update lands.
  await setFirstConditionSafeRun(app.deps, SYSTEM_ACTOR, { tag: 'data_prompt_running', exp: 12, run: 1, force: true, reason: 'wrong FCSR' });
  const { recoverBucket } = await import('../../src/services/buckets/recover-bucket.ts');
  await recoverBucket(app.deps, { user: 'manager', role: 'calibration_manager', detectors: [] }, bucket, 'FCSR corrected');
  assert.equal(await calibrateUntil(app.deps, app.server.scheduler, bucket, ['failed', 'snapshotted']), 'snapshotted');
  const names = (await app.deps.prisma.iov.findMany({ where: { tagId: running.id, removedAt: null } })).map((i) => i.name);
  assert.ok(names.includes('CDCMomentumScale') && names.includes('ECLCrystalEnergyScale'));
});
