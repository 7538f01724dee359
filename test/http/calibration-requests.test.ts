/**
 * Algorithm requests over HTTP: detector scope (an ECL expert can neither request nor approve anything for CDC),
 * the manager's decisions, and what an approval creates.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { REFUSAL_ACTION } from '../../src/services/audit/record-refusal.ts';

let app: TestApp;
let ecl: string;
let cdc: string;
let manager: string;

before(async () => {
  app = await startTestApp();
  ecl = await app.tokenFor('detector_expert', ['ecl'], 'ecl_expert');
  cdc = await app.tokenFor('detector_expert', ['cdc'], 'cdc_expert');
  manager = await app.tokenFor('calibration_manager', [], 'manager');
  await app.deps.prisma.bucket.create({ data: { name: 'e12_bucket1', exp: 12, seq: 1, firstRun: 1, lastRun: 4, stage: 'calibrating' } });
  await app.deps.prisma.bucket.create({ data: { name: 'e12_bucket2', exp: 12, seq: 2, firstRun: 5, lastRun: 8, stage: 'snapshotted' } });
});
after(async () => {
  await app.close();
});

async function counts() {
  const p = app.deps.prisma;
  return { requests: await p.algorithmRequest.count(), runs: await p.calibrationRun.count(), audit: await p.auditEvent.count({ where: { action: { not: REFUSAL_ACTION } } }), candidates: await p.payloadCandidate.count({ where: { state: 'pending' } }) };
}

test('when an ECL expert requests a CDC calibration, then 403 and nothing is stored', async () => {
  const before = await counts();
  const r = await app.as(ecl).post('/requests', { calibration: 'cdc_tracking', bucket: 'e12_bucket1', reason: 'I would like to' });
  assert.equal(r.status, 403);
  assert.equal(r.data.error.code, 'FORBIDDEN');
  assert.match(r.data.error.message, /not for cdc/);
  assert.deepEqual(await counts(), before);
});

test('when an ECL expert requests the ECL calibration, then it is submitted and audited; the manager sees it', async () => {
  const r = await app.as(ecl).post('/requests', { calibration: 'ecl_energy', bucket: 'e12_bucket1', expertConfig: { min_entries_per_crystal: 30 }, reason: 'crystal 17 looks off' });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  assert.equal(r.data.state, 'submitted');
  assert.equal(r.data.detector, 'ecl');
  assert.equal(r.data.bucket, 'e12_bucket1');
  const listed = await app.as(manager).get('/requests', { params: { state: 'submitted' } });
  assert.ok(listed.data.some((x: { id: number }) => x.id === r.data.id));
  const audit = await app.as(manager).get('/audit', { params: { action: 'request.submit' } });
  assert.ok(audit.data.some((a: { targetId: string; actor: string }) => a.targetId === String(r.data.id) && a.actor === 'ecl_expert'));
});

test('when an ECL expert tries to approve or reject a CDC request (or its own), then 403 and nothing changes', async () => {
  const cdcReq = await app.as(cdc).post('/requests', { calibration: 'cdc_dedx', bucket: 'e12_bucket1', reason: 'gain jump in run 3' });
  assert.equal(cdcReq.status, 201);
  const own = await app.as(ecl).post('/requests', { calibration: 'ecl_energy', bucket: 'e12_bucket1', reason: 'again' });
  const before = await counts();
  for (const id of [cdcReq.data.id, own.data.id]) {
    assert.equal((await app.as(ecl).post(`/requests/${id}/approve`, {})).status, 403);
    assert.equal((await app.as(ecl).post(`/requests/${id}/reject`, { comment: 'no' })).status, 403);
  }
  assert.equal((await app.as(ecl).post('/payload-candidates/approve', { bucket: 'e12_bucket1' })).status, 403);
  assert.equal((await app.as(ecl).post('/payload-candidates/reject', { bucket: 'e12_bucket1', comment: 'x' })).status, 403);
  assert.deepEqual(await counts(), before);
  const shown = await app.as(ecl).get(`/requests/${cdcReq.data.id}`);
  assert.equal(shown.data.state, 'submitted');
});

test('when the manager approves a request, then a waiting calibration run with the merged expert_config exists and the request links it', async () => {
  const req = await app.as(cdc).post('/requests', { calibration: 'cdc_tracking', exp: 12, firstRun: 2, lastRun: 3, expertConfig: { mass_window_gev: 0.3, extra: true }, reason: 'narrower window' });
  assert.equal(req.status, 201, JSON.stringify(req.data));
  assert.equal(req.data.bucket, 'e12_bucket1', 'the bucket holding the run range is found');
  const ok = await app.as(manager).post(`/requests/${req.data.id}/approve`, { comment: 'go' });
  assert.equal(ok.status, 200, JSON.stringify(ok.data));
  assert.equal(ok.data.state, 'approved');
  const run = await app.deps.prisma.calibrationRun.findUniqueOrThrow({ where: { id: ok.data.calibrationRunId } });
  assert.equal(run.state, 'waiting');
  assert.equal(run.requestId, req.data.id);
  assert.deepEqual([run.exp, run.firstRun, run.lastRun], [12, 2, 3]);
  assert.deepEqual(run.expertConfig, { mass_window_gev: 0.3, extra: true });
  assert.deepEqual(run.tagChain, ['data_reprocessing_prompt_fix', 'data_prompt_running']);
  const again = await app.as(manager).post(`/requests/${req.data.id}/approve`, {});
  assert.equal(again.status, 409, 'a decided request cannot be decided again');
  const second = await app.as(cdc).post('/requests', { calibration: 'cdc_tracking', bucket: 'e12_bucket1', reason: 'and once more' });
  const conflict = await app.as(manager).post(`/requests/${second.data.id}/approve`, {});
  assert.equal(conflict.status, 409, 'not while the calibration waits or runs');
  assert.match(conflict.data.error.message, /waiting/);
});

test('when the manager rejects without a comment, then 400; with one, then rejected and the expert can read why', async () => {
  const req = await app.as(ecl).post('/requests', { calibration: 'ecl_energy', bucket: 'e12_bucket1', reason: 'why not' });
  assert.equal((await app.as(manager).post(`/requests/${req.data.id}/reject`, {})).status, 400);
  const r = await app.as(manager).post(`/requests/${req.data.id}/reject`, { comment: 'not enough bhabha events yet' });
  assert.equal(r.status, 200);
  const shown = await app.as(ecl).get(`/requests/${req.data.id}`);
  assert.equal(shown.data.state, 'rejected');
  assert.equal(shown.data.decisionComment, 'not enough bhabha events yet');
});

test('when a request names a bucket whose calibration is over or runs outside it, then it is refused', async () => {
  const over = await app.as(ecl).post('/requests', { calibration: 'ecl_energy', bucket: 'e12_bucket2', reason: 'late' });
  assert.equal(over.status, 422);
  assert.match(over.data.error.message, /fix window/);
  const outside = await app.as(ecl).post('/requests', { calibration: 'ecl_energy', bucket: 'e12_bucket1', exp: 12, firstRun: 3, lastRun: 6, reason: 'x' });
  assert.equal(outside.status, 400);
  const unknown = await app.as(ecl).post('/requests', { calibration: 'no_such', bucket: 'e12_bucket1', reason: 'x' });
  assert.equal(unknown.status, 404);
  const noScope = await app.as(ecl).post('/requests', { calibration: 'ecl_energy', reason: 'x' });
  assert.equal(noScope.status, 400);
  assert.ok(noScope.data.error.details.some((d: { path: string }) => d.path === 'body.bucket'));
});
