/**
 * The fix window over HTTP: it opens when prompt processing finishes; fixes are accepted only from the payload's
 * detector experts, inside the bucket's runs, while the window is open — anything else is refused and changes
 * nothing; blessing before the close is refused; the manager extends or closes early with a reason.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedBucket, ensureRunningTag } from '../helpers/loop-fixtures.ts';
import { REFUSAL_ACTION } from '../../src/services/audit/record-refusal.ts';

let app: TestApp;
let ecl: string;
let cdc: string;
let manager: string;
let dpm: string;
const H = 3600_000;
const payload = (v: number) => Buffer.from(JSON.stringify({ name: 'ECLCrystalEnergyScale', scale: v })).toString('base64');
const fixBody = (over: Record<string, unknown> = {}) => ({
  name: 'ECLCrystalEnergyScale',
  iov: { firstExp: 12, firstRun: 1, finalExp: 12, finalRun: 4 },
  reason: 'crystal 1234 miscalibrated in prompt',
  contentBase64: payload(1.01),
  ...over,
});

async function counts() {
  const p = app.deps.prisma;
  return { payloads: await p.payload.count(), fixes: await p.fix.count(), iovs: await p.iov.count(), audit: await p.auditEvent.count({ where: { action: { not: REFUSAL_ACTION } } }), windows: await p.fixWindow.findMany() };
}

before(async () => {
  app = await startTestApp();
  await seedBucket(app.deps.prisma, { firstRun: 1, lastRun: 4, stage: 'prompt_processing' });
  await ensureRunningTag(app.deps);
  ecl = await app.tokenFor('detector_expert', ['ecl'], 'ecl_expert');
  cdc = await app.tokenFor('detector_expert', ['cdc'], 'cdc_expert');
  manager = await app.tokenFor('calibration_manager', [], 'calib_manager');
  dpm = await app.tokenFor('data_production_manager', [], 'dp_manager');
});
after(async () => {
  await app.close();
});

test('when prompt processing of a bucket has finished, then its runs are locked, the FCSR advances and a 48 h window opens', async () => {
  const t0 = app.clock.now();
  const r = await app.server.scheduler.runOnce('loop-prompt');
  assert.equal(r.error, undefined);
  const w = await app.as(ecl).get('/windows/e12_bucket1');
  assert.equal(w.status, 200);
  assert.equal(w.data.state, 'open');
  assert.equal(w.data.acceptingFixes, true);
  assert.equal(new Date(w.data.deadline).getTime(), t0.getTime() + 48 * H);
  assert.equal((await app.deps.prisma.bucket.findUniqueOrThrow({ where: { name: 'e12_bucket1' } })).stage, 'fix_window');
  assert.equal(await app.deps.prisma.run.count({ where: { lockedAt: null } }), 0);
  const running = await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: 'data_prompt_running' } });
  assert.deepEqual([running.fcsrExp, running.fcsrRun], [12, 5]);
  assert.ok(await app.deps.prisma.notification.findUnique({ where: { key: 'window-opened:e12_bucket1' } }));
  // a second tick changes nothing
  await app.server.scheduler.runOnce('loop-prompt');
  assert.equal(await app.deps.prisma.fixWindow.count(), 1);
});

test('when the ECL expert uploads an ECL fix inside the bucket, then it is stored pending approval', async () => {
  const r = await app.as(ecl).post('/windows/e12_bucket1/fixes', fixBody());
  assert.equal(r.status, 201, JSON.stringify(r.data));
  assert.equal(r.data.state, 'pending');
  assert.equal(r.data.detector, 'ecl');
  assert.deepEqual(r.data.iov, [12, 1, 12, 4]);
  assert.equal(await app.deps.prisma.iov.count({ where: { tag: { name: 'data_reprocessing_prompt_fix' } } }), 0, 'not in the fixing tag before approval');
});

test('when a fix is outside the bucket, for another detector, or open-ended, then it is refused and nothing changes', async () => {
  const before = await counts();
  const outside = await app.as(ecl).post('/windows/e12_bucket1/fixes', fixBody({ iov: { firstExp: 12, firstRun: 3, finalExp: 12, finalRun: 5 }, contentBase64: payload(2) }));
  assert.equal(outside.status, 400);
  assert.ok(outside.data.error.details.some((d: { path: string }) => d.path === 'iov.finalRun'));
  const openEnded = await app.as(ecl).post('/windows/e12_bucket1/fixes', fixBody({ iov: { firstExp: 12, firstRun: 1, finalExp: -1, finalRun: -1 }, contentBase64: payload(3) }));
  assert.equal(openEnded.status, 400);
  const otherExp = await app.as(ecl).post('/windows/e12_bucket1/fixes', fixBody({ iov: { firstExp: 11, firstRun: 1, finalExp: 11, finalRun: 4 }, contentBase64: payload(4) }));
  assert.equal(otherExp.status, 400);
  const cdcOnEcl = await app.as(cdc).post('/windows/e12_bucket1/fixes', fixBody({ contentBase64: payload(5) }));
  assert.equal(cdcOnEcl.status, 403);
  assert.match(cdcOnEcl.data.error.message, /not for ecl/);
  const eclOnCdc = await app.as(ecl).post('/windows/e12_bucket1/fixes', fixBody({ name: 'CDCdEdxRunGain', contentBase64: payload(6) }));
  assert.equal(eclOnCdc.status, 403);
  const dpmUpload = await app.as(dpm).post('/windows/e12_bucket1/fixes', fixBody({ contentBase64: payload(7) }));
  assert.equal(dpmUpload.status, 403);
  assert.deepEqual(await counts(), before);
});

test('when the window is still open, then blessing is refused and nothing changes', async () => {
  const before = await counts();
  const r = await app.as(manager).post('/buckets/e12_bucket1/bless', {});
  assert.equal(r.status, 422);
  assert.match(r.data.error.message, /fix window of e12_bucket1 is still open/);
  assert.deepEqual(await counts(), before);
  assert.equal(await app.deps.prisma.reprocessingCampaign.count(), 0);
});

test('when reprocessing is launched by a detector expert or a calibration manager, then 403', async () => {
  for (const t of [ecl, manager]) {
    const r = await app.as(t).post('/reprocessing/e12_bucket1/launch', {});
    assert.equal(r.status, 403);
  }
});

test('when the manager approves the fix (twice at once), then it enters the auxiliary fixing tag with one IoV', async () => {
  const fix = await app.deps.prisma.fix.findFirstOrThrow({ where: { state: 'pending' } });
  const denied = await app.as(ecl).post(`/fixes/${fix.id}/approve`, {});
  assert.equal(denied.status, 403);
  // two decisions racing: one wins; the loser's IoV is never added (decision and IoV are one transaction)
  const both = await Promise.all([1, 2].map(() => app.as(manager).post(`/fixes/${fix.id}/approve`, { comment: 'looks right' })));
  assert.deepEqual(both.map((x) => x.status).sort(), [200, 409], JSON.stringify(both.map((x) => x.data)));
  const r = both.find((x) => x.status === 200)!;
  assert.equal(r.data.state, 'approved');
  const iovs = await app.deps.prisma.iov.findMany({ where: { tag: { name: 'data_reprocessing_prompt_fix' }, removedAt: null } });
  assert.equal(iovs.length, 1);
  assert.deepEqual([iovs[0].name, iovs[0].firstExp, iovs[0].firstRun, iovs[0].finalExp, iovs[0].finalRun], ['ECLCrystalEnergyScale', 12, 1, 12, 4]);
  const tag = await app.deps.prisma.globalTag.findUniqueOrThrow({ where: { name: 'data_reprocessing_prompt_fix' } });
  assert.equal(tag.type, 'auxiliary');
  const again = await app.as(manager).post(`/fixes/${fix.id}/reject`, {});
  assert.equal(again.status, 409, 'a decision is final');
});

test('when the manager extends the window, then the deadline moves with a reason in the audit trail; an expert cannot', async () => {
  const w0 = (await app.as(manager).get('/windows/e12_bucket1')).data;
  assert.equal((await app.as(ecl).post('/windows/e12_bucket1/extend', { hours: 5, reason: 'x' })).status, 403);
  assert.equal((await app.as(manager).post('/windows/e12_bucket1/extend', { hours: 5 })).status, 400);
  const r = await app.as(manager).post('/windows/e12_bucket1/extend', { hours: 12, reason: 'KLM expert travelling' });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  assert.equal(new Date(r.data.deadline).getTime(), new Date(w0.deadline).getTime() + 12 * H);
  assert.equal(r.data.extensions, 1);
  const audit = await app.deps.prisma.auditEvent.findFirstOrThrow({ where: { action: 'window.extend' } });
  assert.equal(audit.actor, 'calib_manager');
  assert.match(audit.summary, /KLM expert travelling/);
});

test('when the deadline nears, then one closing-soon notification is queued however often the tick runs', async () => {
  const w = (await app.as(manager).get('/windows/e12_bucket1')).data;
  app.clock.set(new Date(new Date(w.deadline).getTime() - 5 * H));
  await app.server.scheduler.runOnce('loop-fix-windows');
  await app.server.scheduler.runOnce('loop-fix-windows');
  assert.equal(await app.deps.prisma.notification.count({ where: { kind: 'window_closing_soon' } }), 1);
  assert.equal((await app.deps.prisma.fixWindow.findFirstOrThrow()).state, 'open');
});

test('when the deadline has passed, then an upload is refused with a clear message even before the tick ran, and nothing changes', async () => {
  const w = (await app.as(manager).get('/windows/e12_bucket1')).data;
  app.clock.set(new Date(new Date(w.deadline).getTime() + 1000));
  const before = await counts();
  const r = await app.as(ecl).post('/windows/e12_bucket1/fixes', fixBody({ contentBase64: payload(8) }));
  assert.equal(r.status, 422);
  assert.match(r.data.error.message, /closed/);
  assert.deepEqual(await counts(), before);
});

test('when the tick runs after the deadline, then the window closes once, and later uploads are refused', async () => {
  await app.server.scheduler.runOnce('loop-fix-windows');
  await app.server.scheduler.runOnce('loop-fix-windows');
  const w = (await app.as(manager).get('/windows/e12_bucket1')).data;
  assert.equal(w.state, 'closed');
  assert.equal(w.closedBy, 'system');
  assert.equal(await app.deps.prisma.auditEvent.count({ where: { action: 'window.close' } }), 1);
  assert.equal(await app.deps.prisma.notification.count({ where: { kind: 'window_closed' } }), 1);
  const r = await app.as(ecl).post('/windows/e12_bucket1/fixes', fixBody({ contentBase64: payload(9) }));
  assert.equal(r.status, 422);
  assert.match(r.data.error.message, /closed/);
  const ext = await app.as(manager).post('/windows/e12_bucket1/extend', { hours: 1, reason: 'too late' });
  assert.equal(ext.status, 422);
});
