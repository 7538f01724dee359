/**
 * Regressions for the hardening findings (issue 15): coercion, token scopes, library 4xx, control characters, names
 * in URLs, admin's bounds, documented limits, refusal audit, tokens in URLs, the name grammar, union field paths.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { REFUSAL_ACTION } from '../../src/services/audit/record-refusal.ts';

let app: TestApp;
let cm: string;
let dp: string;
let admin: string;
before(async () => {
  app = await startTestApp();
  cm = await app.tokenFor('calibration_manager');
  dp = await app.tokenFor('data_production_manager');
  admin = await app.tokenFor('admin');
  assert.equal((await app.as(cm).post('/tags', { name: 'hard_staging', type: 'staging' })).status, 201);
  assert.equal((await app.as(cm).post('/tags', { name: 'hard_running', type: 'running' })).status, 201);
  assert.equal((await app.as(dp).post('/buckets', { exp: 1, firstRun: 1 })).status, 201);
});
after(async () => {
  await app.close();
});

/** Row counts that a refused request must leave alone (refusal audit apart). */
async function counts() {
  const p = app.deps.prisma;
  return {
    audit: await p.auditEvent.count({ where: { action: { not: REFUSAL_ACTION } } }),
    tags: await p.globalTag.count(),
    users: await p.user.count(),
    tokens: await p.apiToken.count(),
    jobs: await p.job.count(),
  };
}

/** A raw request, for URLs and headers an HTTP client would normalise. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<{ status: number; json: any }> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    r.on('error', reject);
    r.end(body);
  });
}

test('finding 1: when bulk job filters, running-update firstValid, FCSR exp/run or asOf carry another type, then 400 with the field path and nothing is done', async () => {
  const before = await counts();
  for (const exp of [true, null, [1], '12', 1.5]) {
    const r = await app.as(dp).post('/jobs/abort', { filter: { exp }, reason: 'x' });
    assert.equal(r.status, 400, `exp=${JSON.stringify(exp)}: ${JSON.stringify(r.data)}`);
    assert.ok(r.data.error.details.some((d: { path: string }) => d.path === 'body.filter.exp'), JSON.stringify(r.data));
  }
  const typo = await app.as(dp).post('/jobs/abort', { filter: { exp: 1, runFom: 5 } });
  assert.equal(typo.status, 400, 'an unknown filter key is refused, not ignored');
  const ru = await app.as(cm).post('/tags/hard_running/runningupdate', { staging: 'hard_staging', firstValid: { exp: '1', run: 1 }, dryRun: true });
  assert.equal(ru.status, 400);
  assert.ok(ru.data.error.details.some((d: { path: string }) => d.path === 'body.firstValid.exp'));
  const fcsr = await app.as(cm).put('/tags/hard_running/fcsr', { exp: 1, run: '2' });
  assert.equal(fcsr.status, 400);
  assert.ok(fcsr.data.error.details.some((d: { path: string }) => d.path === 'body.run'));
  for (const asOf of ['2026-03-01T10:00', '2026-03-01', '1700000000000']) {
    const q = await app.http.get('/tags/hard_running/iovs', { params: { asOf } });
    assert.equal(q.status, 400, `asOf=${asOf}`);
  }
  assert.equal((await app.http.get('/tags/hard_running/iovs', { params: { asOf: '2026-03-01T10:00:00+01:00' } })).status, 200);
  assert.equal((await app.as(cm).post('/tags/hard_running/clone', { name: 'hard_clone', asOf: 1700000000000 })).status, 400);
  for (const limit of ['1e3', ' 5', '5 ', '-1', '0x10', 'true', '99999999999999999999']) {
    assert.equal((await app.http.get('/tags', { params: { limit } })).status, 400, `limit=${limit}`);
  }
  assert.equal((await app.http.get('/tags', { params: { limit: '5' } })).status, 200);
  assert.deepEqual(await counts(), before);
});

test('finding 2: when a user is given a CDC token, then their existing ECL token stays ECL-only, and whoami shows each token\'s own scope', async () => {
  const ecl = await app.as(admin).post('/tokens', { user: 'scoped', role: 'detector_expert', detectors: ['ecl'] });
  const cdc = await app.as(admin).post('/tokens', { user: 'scoped', role: 'detector_expert', detectors: ['cdc'] });
  assert.equal(ecl.status, 201);
  assert.equal(cdc.status, 201);
  const whoEcl = await app.as(ecl.data.token).get('/whoami');
  assert.deepEqual(whoEcl.data.detectors, ['ecl']);
  assert.equal(whoEcl.data.tokenId, ecl.data.id);
  assert.deepEqual((await app.as(cdc.data.token).get('/whoami')).data.detectors, ['cdc']);
  const user = await app.deps.prisma.user.findUnique({ where: { name: 'scoped' } });
  await app.deps.prisma.user.update({ where: { id: user!.id }, data: { detectors: ['ecl', 'cdc', 'svd'] } });
  assert.deepEqual((await app.as(ecl.data.token).get('/whoami')).data.detectors, ['ecl'], "changing the user's detectors does not change the token");
  const notExpert = await app.as(admin).post('/tokens', { user: 'mgr', role: 'calibration_manager', detectors: ['ecl'] });
  assert.equal(notExpert.status, 400, 'only detector experts carry detectors');
});

test('finding 3: when the body has a bad Content-Encoding or the path bad percent-encoding, then the 4xx the library raised, in the shared error shape', async () => {
  const before = await counts();
  const gz = await raw('POST', '/api/v1/tokens', { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'content-encoding': 'gzip' }, Buffer.from('{"user":"x","role":"admin"}'));
  assert.equal(gz.status, 400, JSON.stringify(gz.json));
  assert.equal(gz.json.error.code, 'INVALID_INPUT');
  assert.ok(gz.json.error.requestId);
  const unknown = await raw('POST', '/api/v1/tokens', { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'content-encoding': 'x-nonsense' }, Buffer.from('{}'));
  assert.equal(unknown.status, 415);
  assert.equal(unknown.json.error.code, 'UNSUPPORTED_MEDIA_TYPE');
  for (const path of ['/api/v1/tokens/%', '/api/v1/tags/%E0%A4%A', '/api/v1/windows/%zz/extend']) {
    const r = await raw(path.includes('extend') ? 'POST' : path.includes('tokens') ? 'DELETE' : 'GET', path, { authorization: `Bearer ${admin}` });
    assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, 'INVALID_INPUT');
  }
  const plain = await raw('POST', '/api/v1/tags', { authorization: `Bearer ${cm}`, 'content-type': 'text/plain' }, Buffer.from('{"name":"via_text"}'));
  assert.equal(plain.status, 415, 'a JSON body in another content type is refused, not read as {}');
  const upload = await raw('POST', '/api/v1/payloads/GzPayload', { authorization: `Bearer ${cm}`, 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }, Buffer.from('not gzip'));
  assert.equal(upload.status, 415);
  assert.deepEqual(await counts(), before);
});

test('finding 4: when NUL or other control characters come in a path, a label, a description, a reason or a filter, then 400 at validation', async () => {
  const before = await counts();
  assert.equal((await raw('GET', '/api/v1/tags/a%00b')).status, 400);
  assert.equal((await raw('GET', '/api/v1/tags/hard_running/iovs?name=a%00b')).status, 400);
  const label = await app.as(admin).post('/tokens', { user: 'nul', role: 'admin', label: 'a\u0000b' });
  assert.equal(label.status, 400);
  assert.deepEqual(label.data.error.details.map((d: { path: string }) => d.path), ['body.label']);
  assert.equal((await app.as(cm).patch('/tags/hard_staging', { description: 'x\u0000y' })).status, 400);
  assert.equal((await app.as(cm).post('/tags/hard_staging/state', { state: 'TESTING', reason: 'r\u0007' })).status, 400);
  assert.equal((await app.as(dp).post('/jobs/abort', { filter: { step: ['a\u0000'] } })).status, 400);
  assert.equal((await app.as(cm).patch('/tags/hard_staging', { description: 'bidi \u202E override' })).status, 400);
  assert.equal((await app.as(cm).patch('/tags/hard_staging', { description: 'two\nlines\tare fine' })).status, 200);
  assert.deepEqual({ ...(await counts()), audit: before.audit }, before);
});

test('finding 5: when a bucket or campaign is addressed, then by name only; ids only under /by-id/, with range checks', async () => {
  const bucket = await app.deps.prisma.bucket.findFirst();
  assert.ok(bucket);
  assert.equal((await app.as(cm).get(`/windows/${bucket.id}`)).status, 404, 'a digit string is a name, never an id');
  assert.equal((await app.as(cm).get(`/buckets/${bucket.id}`)).status, 404);
  const huge = await app.as(cm).post('/windows/9223372036854775808/extend', { hours: 1, reason: 'x' });
  assert.ok(huge.status >= 400 && huge.status < 500, `${huge.status}`);
  assert.equal((await app.as(cm).get('/reprocessing/by-id/9223372036854775808')).status, 400);
  assert.equal((await app.as(cm).get('/reprocessing/by-id/abc')).status, 400);
  assert.equal((await app.as(cm).get('/reprocessing/by-id/1')).status, 404);
  assert.equal((await app.as(cm).get(`/reprocessing/${bucket.name}`)).status, 404, 'no campaign yet for this bucket');
  assert.equal((await app.as(admin).delete('/tokens/2147483648')).status, 400);
  assert.equal((await app.as(admin).delete('/tokens/0')).status, 400);
});

test('finding 6: when an admin tries conditions or production work, then 403; an admin who needs it issues themself a role token', async () => {
  for (const [method, url, data] of [
    ['post', '/tags', { name: 'by_admin', type: 'staging' }],
    ['post', '/tags/hard_staging/iovs', { payload: { name: 'X', revision: 1 }, iov: { firstExp: 1, firstRun: 1, finalExp: 1, finalRun: 1 } }],
    ['post', '/buckets', { exp: 2, firstRun: 1 }],
    ['post', '/jobs/abort', { filter: { exp: 1 } }],
    ['post', '/tags/hard_staging/state', { state: 'TESTING' }],
  ] as const) {
    const r = await app.as(admin).request({ method, url, data });
    assert.equal(r.status, 403, `${method} ${url}: ${r.status}`);
  }
  const own = await app.as(admin).post('/tokens', { user: 'the-admin', role: 'calibration_manager', label: 'conditions fix' });
  assert.equal(own.status, 201);
  assert.equal((await app.as(own.data.token).post('/tags', { name: 'by_admin_as_manager', type: 'staging' })).status, 201);
  const audit = await app.deps.prisma.auditEvent.findFirst({ where: { action: 'token.create', targetId: 'the-admin' } });
  assert.match(audit!.summary, /as calibration_manager/);
});

test('finding 9: when the bulk IoV endpoint gets 20,000 entries, then they are accepted as its schema documents, and the document states the body limit', async () => {
  const up = await app.as(cm).post('/payloads/BulkPayload', Buffer.from('bulk'), { headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(up.status, 201);
  const entries = Array.from({ length: 20_000 }, (_, i) => ({ payload: { name: 'BulkPayload', revision: 1 }, iov: { firstExp: 3, firstRun: i, finalExp: 3, finalRun: i } }));
  const r = await app.as(cm).post('/tags/hard_staging/iovs/bulk', { entries, reason: 'bulk' });
  assert.equal(r.status, 201, JSON.stringify(r.data).slice(0, 300));
  const doc = (await app.http.get('/openapi.json')).data;
  const op = doc.paths['/api/v1/tags/{name}/iovs/bulk'].post;
  assert.equal(op.requestBody.content['application/json'].schema.properties.entries.maxItems, 200_000);
  assert.match(op.description, /At most 200000 entries and \d+ bytes/);
  const anonymous = await raw('POST', '/api/v1/tags/hard_staging/iovs/bulk', { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ entries })));
  assert.equal(anonymous.status, 413, 'the larger limit is for callers with a token only');
});

test('finding 10: when a mutation is refused, then it is audited (who, what, why); a token in the URL is refused and never logged; bad names and union paths', async () => {
  const r = await app.http.post('/tags', { name: 'anon_tag', type: 'staging' });
  assert.equal(r.status, 401);
  const ev = await app.deps.prisma.auditEvent.findFirst({ where: { action: REFUSAL_ACTION, targetId: 'POST /api/v1/tags' }, orderBy: { id: 'desc' } });
  assert.ok(ev);
  assert.equal(ev.actor, 'anonymous');
  assert.match(ev.summary, /^401 UNAUTHENTICATED/);
  const secret = cm;
  const inUrl = await app.http.get('/whoami', { params: { access_token: secret } });
  assert.equal(inUrl.status, 401);
  const inUrl2 = await app.http.get('/tags', { params: { contains: secret } });
  assert.equal(inUrl2.status, 401);
  const logged = JSON.stringify((app.deps.logger as unknown as { lines: unknown[] }).lines);
  assert.ok(!logged.includes(secret), 'no token secret in the logs');
  for (const name of ['..', '.hidden', '-rf', 'a..b', 'rtl\u202Eevil', 'zero\u200Bwidth', 'ﬁ_ligature']) {
    const t = await app.as(cm).post('/tags', { name, type: 'staging' });
    assert.equal(t.status, 400, `tag ${JSON.stringify(name)}`);
  }
  assert.equal((await raw('POST', '/api/v1/payloads/.hidden', { authorization: `Bearer ${cm}`, 'content-type': 'application/octet-stream' }, Buffer.from('x'))).status, 400);
  assert.equal((await raw('POST', '/api/v1/payloads/a%E2%80%AEb', { authorization: `Bearer ${cm}`, 'content-type': 'application/octet-stream' }, Buffer.from('x'))).status, 400);
  assert.equal((await app.as(admin).post('/tokens', { user: '.root', role: 'admin' })).status, 400);
  const merge = await app.as(cm).post('/merge', { sources: [{ tag: '..bad' }], target: 'merged_t' });
  assert.equal(merge.status, 400);
  assert.deepEqual(merge.data.error.details.map((d: { path: string }) => d.path), ['body.sources.0.tag']);
});
