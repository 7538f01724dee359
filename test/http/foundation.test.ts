import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(async () => {
  await app.close();
});

test('when the process is up, then /healthz answers 200', async () => {
  const r = await app.as(undefined).get(`${app.url}/healthz`);
  assert.equal(r.status, 200);
  assert.equal(r.data.status, 'ok');
});

test('when the database is reachable, then /readyz answers 200 naming the database kind', async () => {
  const r = await app.as(undefined).get(`${app.url}/readyz`);
  assert.equal(r.status, 200);
  assert.ok(['pglite', 'postgres'].includes(r.data.database));
});

test('when the OpenAPI document is fetched, then it is OpenAPI 3 with the audit path and bearer security', async () => {
  const r = await app.http.get('/openapi.json');
  assert.equal(r.status, 200);
  assert.match(r.data.openapi, /^3\./);
  assert.ok(r.data.paths['/api/v1/audit']);
  assert.ok(r.data.components.securitySchemes.bearerAuth);
});

test('when metrics are scraped, then the HTTP counter is exported', async () => {
  const r = await app.as(undefined).get(`${app.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(String(r.data), /calibloop_http_requests_total/);
});

test('when no token is given for an authenticated read, then 401; with a bad token, then 401', async () => {
  assert.equal((await app.http.get('/audit')).status, 401);
  assert.equal((await app.as('clb_nonsense').get('/audit')).status, 401);
});

test('when an admin creates a token, then it works, is audited, and a non-admin gets 403', async () => {
  const admin = await app.tokenFor('admin');
  const r = await app.as(admin).post('/tokens', { user: 'alice', role: 'detector_expert', detectors: ['ecl'] });
  assert.equal(r.status, 201);
  const who = await app.as(r.data.token).get('/whoami');
  assert.deepEqual(who.data, { user: 'alice', role: 'detector_expert', detectors: ['ecl'], tokenId: r.data.id, expiresAt: null });
  const audit = await app.as(admin).get('/audit', { params: { action: 'token.create', targetId: 'alice' } });
  assert.equal(audit.data.length, 1);
  const denied = await app.as(r.data.token).post('/tokens', { user: 'bob', role: 'admin' });
  assert.equal(denied.status, 403);
});

test('when the body is malformed JSON, has wrong types, or is too large, then 4xx with field paths and nothing is written', async () => {
  const admin = await app.tokenFor('admin');
  const before = await app.deps.prisma.user.count();
  const malformed = await app.as(admin).post('/tokens', '{"user": ', { headers: { 'content-type': 'application/json' } });
  assert.equal(malformed.status, 400);
  const wrong = await app.as(admin).post('/tokens', { user: 42, role: 'wizard' });
  assert.equal(wrong.status, 400);
  const paths = wrong.data.error.details.map((d: { path: string }) => d.path);
  assert.ok(paths.includes('body.user'));
  assert.ok(paths.includes('body.role'));
  const expertWithoutDetector = await app.as(admin).post('/tokens', { user: 'carol', role: 'detector_expert' });
  assert.equal(expertWithoutDetector.status, 400);
  assert.equal(expertWithoutDetector.data.error.details[0].path, 'body.detectors');
  const huge = await app.as(admin).post('/tokens', { user: 'x'.repeat(2 * 1024 * 1024), role: 'admin' });
  assert.equal(huge.status, 413);
  assert.equal(await app.deps.prisma.user.count(), before);
});

test('when an unknown endpoint is called, then 404 with a JSON error, never 500', async () => {
  const r = await app.http.get('/no-such-thing');
  assert.equal(r.status, 404);
  assert.equal(r.data.error.code, 'NOT_FOUND');
});
