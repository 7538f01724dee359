/**
 * The dashboard in real Chromium over a real server and database: the calibration manager signs in, reads the
 * overview, approves a bucket's payloads on the approval page and the bucket moves on (checked through the API); an
 * expert sees no approve button and a forged approval is refused with 403; the fix-window countdown runs and the IoV
 * plots draw one mark per IoV; no page logs a console error. Screenshots of every page go to .tmp/screenshots.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium, watchErrors } from './chromium.ts';
import { dashboardWorld, type DashboardWorld } from './dashboard-fixture.ts';
import { calibrateUntil, produceBucket, waitFor } from '../helpers/calibration-fixtures.ts';

const missing = chromiumMissing();
const SHOTS = resolve(import.meta.dirname, '../../.tmp/screenshots');
let world: DashboardWorld;
let browser: Awaited<ReturnType<typeof launchChromium>>;

before(async () => {
  if (missing) return;
  mkdirSync(SHOTS, { recursive: true });
  world = await dashboardWorld();
  browser = await launchChromium();
}, { timeout: 600_000 });
after(async () => {
  await browser?.close();
  await world?.app.deps.executor.close();
  await world?.app.close();
});

/** A page signed in with `token` (pasted into the sign-in form, as a person would) that records its errors. */
async function signedIn(token: string | null): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${world.app.url}/`);
  await page.waitForFunction(() => document.body.dataset.page === 'signin');
  if (token) {
    await page.fill('#token', token);
    await page.click('#signin button');
    await page.waitForSelector('#who:not([hidden])');
  }
  return { page, errors };
}

async function open(page: Page, hash: string, shot: string): Promise<void> {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => location.hash === h && !!document.body.dataset.page, hash, { timeout: 20_000 });
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true });
}

/** IoV bars as drawn: the rectangles (closed four-sided paths, white outline) of the chart's SVG. */
const svgMarks = (page: Page, selector: string) =>
  page.$$eval(`${selector} svg path`, (paths) => paths.filter((p) => /^M[\d.]+ [\d.]+(l-?[\d.]+ -?[\d.]+){3}Z$/.test(p.getAttribute('d') ?? '') && p.getAttribute('stroke') === '#ffffff').length);

test('when the calibration manager signs in, then the overview lists the bucket to approve and its fix window', { skip: missing ?? false }, async () => {
  const { page, errors } = await signedIn(world.tokens.manager);
  await open(page, '#/overview', 'overview-calibration-manager');
  assert.equal(await page.textContent('#who'), 'carla · calibration manager');
  const approve = page.locator(`[data-testid=actions] li[data-kind=approve_payloads] a[href="#/approval/${world.approvalBucket}"]`);
  assert.equal(await approve.count(), 1, 'the approval is on the to-do list');
  assert.equal(await page.locator(`[data-testid=actions] li[data-kind=decide_fixes] a[href="#/windows/${world.windowBucket}"]`).count(), 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('when the manager approves every candidate on the approval page, then the bucket leaves awaiting_approval', { skip: missing ?? false }, async () => {
  const { page, errors } = await signedIn(world.tokens.manager);
  await open(page, `#/approval/${world.approvalBucket}`, 'approval');
  const pending = (await world.app.as(world.tokens.manager).get('/payload-candidates', { params: { bucket: world.approvalBucket } })).data;
  assert.ok(pending.length > 0);
  assert.equal(await page.locator('[data-testid=candidate]').count(), pending.length);
  const withValues = pending.filter((c: any) => c.values !== null).length;
  assert.equal(await page.locator('[data-testid=no-values]').count(), pending.length - withValues);
  await page.waitForFunction(() => document.querySelector('main')?.dataset.charts === 'done', null, { timeout: 30_000 });
  assert.ok((await page.locator('.candidate .chart svg').count()) >= withValues, 'each candidate with values has its plots');
  assert.ok((await page.locator('img.validation').count()) > 0, 'the validation images the algorithm wrote are shown');
  await page.screenshot({ path: join(SHOTS, 'approval-plots.png') });
  const c = pending.find((x: any) => x.validationImages.includes('validation.svg'));
  const img = await world.app.as(world.tokens.manager).get(`/payload-candidates/${c.id}/images/validation.svg`, { responseType: 'text' });
  assert.deepEqual([img.status, img.headers['content-type'], /^<svg /.test(img.data)], [200, 'image/svg+xml', true]);
  assert.match(img.headers['content-security-policy'], /sandbox/, 'an SVG from an output directory cannot run script');
  assert.equal((await world.app.as(world.tokens.manager).get(`/payload-candidates/${c.id}/images/..%2Fresult.json`)).status, 400);
  assert.equal((await world.app.as(world.tokens.manager).get(`/payload-candidates/${c.id}/images/other.png`)).status, 404, 'only files attached to the candidate');
  assert.equal((await world.app.http.get(`/payload-candidates/${c.id}/images/validation.svg`)).status, 401);
  await page.fill('#decision-comment', 'checked the ECL and CDC plots against the running tag');
  await page.click('[data-testid=approve-all]');
  await page.waitForSelector('.message.ok');
  assert.match((await page.textContent('.message.ok')) ?? '', new RegExp(`^${pending.length} candidate\\(s\\) approved`));
  const after = (await world.app.as(world.tokens.manager).get('/payload-candidates', { params: { bucket: world.approvalBucket, state: 'approved' } })).data;
  assert.equal(after.length, pending.length, 'every candidate approved through the page');
  const stage = await waitFor('the bucket moves on', async () => {
    await world.app.server.scheduler.runOnce('calibration-finalise');
    const b = (await world.app.as(world.tokens.manager).get(`/buckets/${world.approvalBucket}`)).data;
    return b.stage !== 'awaiting_approval' ? b.stage : undefined;
  }, { timeoutMs: 60_000 });
  assert.ok(['updating', 'snapshotted', 'prompt_processing'].includes(stage), `bucket moved on to ${stage}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('when the next bucket is calibrated, then each candidate is plotted against the running tag and the approved bucket before it, and one can be rejected', { skip: missing ?? false, timeout: 600_000 }, async () => {
  const { app } = world;
  await waitFor('the approved bucket is in the running tag', async () => {
    await app.server.scheduler.runOnce('calibration-finalise');
    const b = (await app.as(world.tokens.manager).get(`/buckets/${world.approvalBucket}`)).data;
    return ['snapshotted', 'prompt_processing'].includes(b.stage) ? b.stage : undefined;
  }, { timeoutMs: 60_000 });
  const next = await produceBucket(app.deps, app.server.scheduler, { dir: app.home, firstRun: 5, lastRun: 8, eventsPerFile: 4000, seed: 6 });
  assert.equal(await calibrateUntil(app.deps, app.server.scheduler, next, ['awaiting_approval', 'failed']), 'awaiting_approval');
  const ecl = (await app.as(world.tokens.manager).get('/payload-candidates', { params: { bucket: next, calibration: 'ecl_energy' } })).data[0];
  assert.ok(ecl.previousRevision !== null, 'the ECL candidate replaces the approved payload in the running tag');
  const { page, errors } = await signedIn(world.tokens.manager);
  await open(page, `#/approval/${next}`, 'approval-second-bucket');
  await page.waitForFunction(() => document.querySelector('main')?.dataset.charts === 'done', null, { timeout: 30_000 });
  const legend = (await page.textContent(`[data-candidate="${ecl.id}"] .chart`)) ?? '';
  assert.match(legend, new RegExp(`running tag \\(rev ${ecl.previousRevision}\\)`));
  assert.match(legend, new RegExp(`${world.approvalBucket} \\(rev ${ecl.previousRevision}\\)`), 'the first bucket\'s approved values are drawn');
  await page.locator(`[data-candidate="${ecl.id}"]`).screenshot({ path: join(SHOTS, 'approval-candidate-vs-running.png') });
  // reject it (ticked, with a comment): it returns to its expert, the rest stays pending
  await page.check(`[data-candidate="${ecl.id}"] h2 input[type=checkbox]`);
  await page.fill('#decision-comment', 'group 3 is 2% off the bhabha peak; check the window');
  await page.click('[data-testid=reject-selected]');
  await page.waitForSelector('.message.ok:has-text("1 candidate(s) rejected")');
  const decided = (await app.as(world.tokens.manager).get('/payload-candidates', { params: { bucket: next, state: 'all' } })).data;
  assert.deepEqual(decided.filter((c: any) => c.state === 'rejected').map((c: any) => [c.id, c.comment, c.decidedBy]), [[ecl.id, 'group 3 is 2% off the bhabha peak; check the window', 'carla']]);
  assert.equal(decided.filter((c: any) => c.state === 'pending').length, decided.length - 1);
  assert.equal(await page.locator('[data-testid=candidate]').count(), decided.length - 1, 'the page shows what is still pending');
  assert.deepEqual(errors, []);
  await page.close();
});

test('when a detector expert opens the approval page, then no approve button shows and a forged approval gets 403', { skip: missing ?? false }, async () => {
  const { page, errors } = await signedIn(world.tokens.expert);
  await open(page, `#/approval/${world.approvalBucket}?state=all`, 'approval-as-expert');
  assert.ok((await page.locator('[data-testid=candidate]').count()) > 0);
  assert.equal(await page.locator('button:has-text("Approve")').count(), 0);
  const forged = await page.evaluate(async (token) => {
    const r = await fetch('/api/v1/payload-candidates/approve', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ids: [1] }) });
    return r.status;
  }, world.tokens.expert);
  assert.equal(forged, 403);
  assert.deepEqual(errors.filter((e) => !e.includes('403')), [], 'nothing but the forged request failed');
  await open(page, '#/overview', 'overview-detector-expert');
  assert.equal(await page.locator(`[data-testid=actions] li[data-kind=upload_fixes] a[href="#/windows/${world.windowBucket}"]`).count(), 1);
  await page.close();
});

test('when the fix window page is open, then the countdown runs down to the stored deadline and each fix is one mark', { skip: missing ?? false }, async () => {
  const { page, errors } = await signedIn(world.tokens.manager);
  await open(page, `#/windows/${world.windowBucket}`, 'fix-window');
  const first = await page.textContent('[data-testid=countdown]');
  assert.match(first ?? '', /^1 d 5 h \d\d min \d\d s$/, 'about 30 h left');
  await page.waitForFunction((t) => document.querySelector('[data-testid=countdown]')?.textContent !== t, first, { timeout: 5000 });
  await page.waitForSelector('[data-testid=fix-iovs][data-marks]');
  assert.equal(await svgMarks(page, '[data-testid=fix-iovs]'), world.expected.fixes);
  assert.equal(await page.locator('[data-testid=manager-actions] button').count(), 2, 'extend and close');
  assert.deepEqual(errors, []);
  await page.close();
});

test('when the ECL expert uploads a fix from the fix window page, then it waits for the manager as a fourth IoV', { skip: missing ?? false }, async () => {
  const { page, errors } = await signedIn(world.tokens.expert);
  await open(page, `#/windows/${world.windowBucket}`, 'fix-window-as-expert');
  assert.equal(await page.locator('[data-testid=manager-actions]').count(), 0, 'no extend/close for an expert');
  assert.equal(await page.locator('button:has-text("Approve")').count(), 0);
  const form = page.locator('[data-testid=upload] form');
  await form.locator('input').nth(0).fill('ECLCrystalEnergyScale');
  await form.locator('input').nth(1).fill('18');
  await form.locator('input').nth(2).fill('19');
  await form.locator('input').nth(3).fill('hot crystal in run 18');
  await form.locator('input[type=file]').setInputFiles({ name: 'ecl_fix.json', mimeType: 'application/json', buffer: Buffer.from('{"values":{"g0":0.997}}') });
  await form.locator('button[type=submit]').click();
  await page.waitForSelector('.message.ok');
  await page.waitForSelector('[data-testid=fix-iovs][data-marks="4"]');
  assert.equal(await svgMarks(page, '[data-testid=fix-iovs]'), world.expected.fixes + 1);
  const w = (await world.app.as(world.tokens.manager).get(`/windows/${world.windowBucket}`)).data;
  const fix = w.fixes.find((f: any) => f.reason === 'hot crystal in run 18');
  assert.deepEqual([fix.submittedBy, fix.state, fix.iov], ['erik', 'pending', [12, 18, 12, 19]]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('when the manager approves one fix and rejects another on the page, then the API shows both decisions with the comment', { skip: missing ?? false }, async () => {
  const { page, errors } = await signedIn(world.tokens.manager);
  await open(page, `#/windows/${world.windowBucket}`, 'fix-window-decisions');
  const before = (await world.app.as(world.tokens.manager).get(`/windows/${world.windowBucket}`)).data.fixes;
  const [first, second] = before.filter((f: any) => f.state === 'pending');
  const row = (id: number) => page.locator('tr', { has: page.locator(`input[aria-label="comment on fix ${id}"]`) });
  await row(first.id).locator('button:has-text("Approve")').click();
  await page.waitForSelector(`.message.ok:has-text("fix #${first.id} approved")`);
  await row(second.id).locator('input').fill('wrong IoV: the drift starts at run 14');
  await row(second.id).locator('button:has-text("Reject")').click();
  await page.waitForSelector(`.message.ok:has-text("fix #${second.id} rejected")`);
  const after = new Map((await world.app.as(world.tokens.manager).get(`/windows/${world.windowBucket}`)).data.fixes.map((f: any) => [f.id, f]));
  assert.deepEqual([(after.get(first.id) as any).state, (after.get(first.id) as any).decidedBy], ['approved', 'carla']);
  assert.deepEqual([(after.get(second.id) as any).state, (after.get(second.id) as any).comment], ['rejected', 'wrong IoV: the drift starts at run 14']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('when anyone opens a tag without a token, then its IoV timeline draws one mark per IoV', { skip: missing ?? false }, async () => {
  const { page, errors } = await signedIn(null);
  await open(page, '#/tags', 'tags');
  await open(page, `#/tags/${world.iovTag}`, 'tag-iov-timeline');
  await page.waitForSelector('[data-testid=tag-iovs][data-marks]');
  assert.equal(await svgMarks(page, '[data-testid=tag-iovs]'), world.expected.tagIovs);
  const resolve = page.locator('[data-testid=resolve] form');
  await resolve.locator('input').nth(1).fill('12');
  await resolve.locator('input').nth(2).fill('12');
  await resolve.locator('button').click();
  await page.waitForSelector('[data-testid=resolve] td:has-text("BeamSpot rev 2")');
  assert.equal(await page.locator('[data-testid=resolve] td:has-text("SVDTimeShift rev 1")').count(), 1, 'run 12,12 resolves to the IoVs drawn over it');
  assert.deepEqual(errors, []);
  await page.close();
});

test('when the data-production manager opens the campaigns, then only they see launch and abort, and the run plan is reported', { skip: missing ?? false }, async () => {
  for (const [role, buttons] of [['production', 2], ['manager', 0]] as const) {
    const { page, errors } = await signedIn(world.tokens[role]);
    await open(page, '#/campaigns', `campaigns-${role}`);
    const card = page.locator('[data-campaign]');
    assert.equal(await card.count(), 1);
    assert.equal(await card.locator('button').count(), buttons, `${role}: launch and abort only for the data-production manager`);
    await page.waitForSelector('[data-campaign] details summary');
    assert.match((await page.textContent('[data-campaign] details summary')) ?? '', /pending 5, skipped 1/);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('when each role walks every page, then every page renders its data without a console error', { skip: missing ?? false }, async () => {
  const pages: Array<[string, string]> = [
    ['#/overview', 'overview'],
    [`#/buckets/${world.approvalBucket}`, 'bucket'],
    [`#/windows`, 'windows'],
    [`#/jobs?bucket=${world.approvalBucket}`, 'jobs'],
    ['#/campaigns', 'campaigns'],
    ['#/tags', 'tags'],
    [`#/tags/${world.iovTag}`, 'tag'],
    [`#/approval/${world.approvalBucket}?state=all`, 'approval-all'],
    [`#/windows/${world.windowBucket}`, 'window'],
    ['#/no-such-page', 'not-found'],
  ];
  for (const [role, token] of Object.entries(world.tokens)) {
    const { page, errors } = await signedIn(token);
    for (const [hash, name] of pages) await open(page, hash, `${name}-${role}`);
    const job = (await world.app.as(token).get('/jobs', { params: { bucket: world.approvalBucket, limit: 1 } })).data.jobs[0];
    await open(page, `#/jobs?bucket=${world.approvalBucket}&job=${job.id}`, `job-log-${role}`);
    await page.waitForSelector('[data-testid=log]');
    assert.equal(await page.locator('.message.error').count(), 0, `${role}: no page showed an error`);
    assert.deepEqual(errors, [], `${role}: no console error`);
    await page.close();
  }
});

test('when a campaign is aborted from the page and re-created under its name, then each card reports its own campaign', { skip: missing ?? false }, async () => {
  const { app, tokens } = world;
  const { page, errors } = await signedIn(tokens.production);
  const reportsRead: string[] = [];
  page.on('request', (r) => {
    if (/\/report$/.test(r.url())) reportsRead.push(new URL(r.url()).pathname);
  });
  await open(page, '#/campaigns', 'campaigns-before-abort');
  const old = await app.deps.prisma.reprocessingCampaign.findFirstOrThrow({ where: { state: 'created' } });
  const card = page.locator(`[data-campaign="${old.id}"]`);
  await card.locator('input').fill('wrong release; redo');
  await card.locator('button:has-text("Abort")').click();
  await page.waitForFunction((id) => /— aborted$/.test(document.querySelector(`[data-campaign="${id}"] h2`)?.textContent ?? ''), old.id);
  assert.equal((await app.deps.prisma.reprocessingCampaign.findUniqueOrThrow({ where: { id: old.id } })).endReason, 'wrong release; redo');
  // the re-creation (its service has its own tests) selects every run this time, so the two reports differ
  const runPlan = (old.runPlan as Array<Record<string, unknown>>).map((p) => ({ ...p, selected: true, reason: 'physics, good' }));
  const again = await app.deps.prisma.reprocessingCampaign.create({ data: { name: old.name, bucketId: old.bucketId, tagName: old.tagName, tagChain: old.tagChain, state: 'created', createdBy: 'dora', runPlan, recreatedFrom: old.id } });
  reportsRead.length = 0;
  await open(page, '#/overview', 'overview-production');
  await open(page, '#/campaigns', 'campaigns-aborted-and-recreated');
  assert.equal(await page.locator('[data-campaign]').count(), 2);
  for (const [c, says] of [[old, /pending 5, skipped 1/], [again, /pending 6, skipped 0/]] as const) {
    const summary = page.locator(`[data-campaign="${c.id}"] details summary`);
    await summary.waitFor();
    assert.match((await summary.textContent()) ?? '', says, `campaign ${c.id}'s card shows its own report`);
  }
  assert.deepEqual(reportsRead.sort(), [`/api/v1/reprocessing/by-id/${old.id}/report`, `/api/v1/reprocessing/by-id/${again.id}/report`].sort(), 'reports are read by id');
  assert.deepEqual(errors, []);
  await page.close();
});
