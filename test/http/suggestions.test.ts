/**
 * "Did you mean …?" is the server's: a 404 for a tag, bucket, calibration or campaign name that names nothing answers
 * with the shared Error body and `details.suggestions` (closest names, at most three, only names the caller may list).
 * The /v2 Belle II door keeps basf2's protocol.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedBucket, ensureRunningTag } from '../helpers/loop-fixtures.ts';
import { suggestNames } from '../../src/services/names/suggest-names.ts';
import { SYSTEM_ACTOR } from '../../src/domain/roles.ts';

let app: TestApp;
let manager: string;
let expert: string;

before(async () => {
  app = await startTestApp();
  const b = await seedBucket(app.deps.prisma, { firstRun: 1, lastRun: 4, stage: 'producing' });
  await seedBucket(app.deps.prisma, { seq: 2, firstRun: 5, lastRun: 6, stage: 'producing' });
  await ensureRunningTag(app.deps);
  // two campaigns of one name (an aborted one and its re-creation) are one suggestion
  for (const state of ['aborted', 'created']) {
    await app.deps.prisma.reprocessingCampaign.create({ data: { name: 'e12_bucket1_reproc', bucketId: b.id, tagName: 'final', tagChain: ['final'], state, createdBy: 'dana' } });
  }
  manager = await app.tokenFor('data_production_manager');
  expert = await app.tokenFor('detector_expert', ['ecl']);
});
after(async () => {
  await app.close();
});

function assertSuggests(r: { status: number; data: any }, message: RegExp, suggestions: string[]) {
  assert.equal(r.status, 404, JSON.stringify(r.data));
  assert.equal(r.data.error.code, 'NOT_FOUND');
  assert.match(r.data.error.message, message);
  assert.doesNotMatch(r.data.error.message, /did you mean/, 'the suggestions are data, not text');
  assert.deepEqual(r.data.error.details, { suggestions });
  assert.equal(typeof r.data.error.requestId, 'string');
}

test('when a tag name has a typo, then anyone gets the closest tag names', async () => {
  assertSuggests(await app.http.get('/tags/data_prompt_runing'), /^global tag data_prompt_runing not found$/, ['data_prompt_running']);
  assertSuggests(await app.http.get('/resolve', { params: { tag: 'data_prompt_runing', exp: 12, run: 1 } }), /data_prompt_runing/, ['data_prompt_running']);
});

test('when a bucket name has a typo, then a caller with a token gets the closest bucket names, at most three, closest first', async () => {
  // e12_bucket1 is one edit away, e12_bucket2 two
  assertSuggests(await app.as(manager).get('/buckets/e12_bucket11'), /^bucket e12_bucket11 not found$/, ['e12_bucket1', 'e12_bucket2']);
  assertSuggests(await app.as(manager).get('/buckets/e12_bucket3'), /not found/, ['e12_bucket1', 'e12_bucket2']);
  assertSuggests(await app.as(manager).get('/buckets/zzzzzzzzzzzz'), /not found/, []);
});

test('when a campaign name has a typo, then the name of the aborted one and its re-creation is suggested once', async () => {
  assertSuggests(await app.as(manager).get('/reprocessing/e12_bucket1_reprok'), /^reprocessing campaign e12_bucket1_reprok not found$/, ['e12_bucket1_reproc']);
});

test('when a calibration name has a typo, then the closest calibration names come back', async () => {
  const r = await app.as(expert).post('/requests', { calibration: 'ecl_enrgy', bucket: 'e12_bucket1', reason: 'typo' });
  assertSuggests(r, /^calibration "ecl_enrgy" not found$/, ['ecl_energy']);
});

test('when nobody is signed in, then only public names are suggested', async () => {
  assert.deepEqual(await suggestNames(app.deps, 'bucket', 'e12_bucket11', undefined), []);
  assert.deepEqual(await suggestNames(app.deps, 'campaign', 'e12_bucket1_reprok', undefined), []);
  assert.deepEqual(await suggestNames(app.deps, 'tag', 'data_prompt_runing', undefined), ['data_prompt_running']);
  assert.deepEqual(await suggestNames(app.deps, 'bucket', 'e12_bucket11', SYSTEM_ACTOR), ['e12_bucket1', 'e12_bucket2']);
});

test('when a /v2 client names a tag that does not exist, then it gets basf2\'s error shape without suggestions', async () => {
  const r = await fetch(`${app.url}/v2/globalTag/data_prompt_runing`);
  assert.equal(r.status, 404);
  const body = (await r.json()) as Record<string, unknown>;
  assert.equal(body.code, 404);
  assert.equal(body.reason, 'Not Found');
  assert.equal(body.details, undefined);
  assert.doesNotMatch(JSON.stringify(body), /suggestions|data_prompt_running"/);
});
