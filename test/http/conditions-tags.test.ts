/**
 * Global tags over HTTP: who may do what (DOMAIN §5), state moves, running update refusals with their violations,
 * history, snapshot, merge and diff endpoints, and IoV edits with history and audit.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { conditions } from '../helpers/conditions-fixtures.ts';

let app: TestApp;
let c: ReturnType<typeof conditions>;
const t: Record<string, string> = {};
before(async () => {
  app = await startTestApp();
  c = conditions(app.deps);
  t.manager = await app.tokenFor('calibration_manager');
  t.admin = await app.tokenFor('admin');
  t.expert = await app.tokenFor('detector_expert', ['ecl']);
  t.production = await app.tokenFor('data_production_manager');
});
after(async () => app.close());

const iov = (a: number, b: number, c2: number, d: number) => ({ firstExp: a, firstRun: b, finalExp: c2, finalRun: d });

describe('global tags over HTTP', () => {
  it('when tags are created and listed, then reads are anonymous and creation needs a manager (admin only manages users and tokens)', async () => {
    assert.equal((await app.http.post('/tags', { name: 'h_a', type: 'staging' })).status, 401);
    assert.equal((await app.as(t.expert).post('/tags', { name: 'h_a', type: 'staging' })).status, 403);
    assert.equal((await app.as(t.production).post('/tags', { name: 'h_a', type: 'staging' })).status, 403);
    assert.equal((await app.as(t.manager).post('/tags', { name: 'h_a', type: 'staging', description: 'first' })).status, 201);
    assert.equal((await app.as(t.admin).post('/tags', { name: 'h_b', type: 'release' })).status, 403);
    assert.equal((await app.as(t.manager).post('/tags', { name: 'h_b', type: 'release' })).status, 201);
    assert.equal((await app.as(t.manager).post('/tags', { name: 'h_a', type: 'staging' })).status, 409);
    const bad = await app.as(t.manager).post('/tags', { name: 'bad name!', type: 'nope' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.data.error.details.map((d: { path: string }) => d.path).sort(), ['body.name', 'body.type']);
    const list = await app.http.get('/tags', { params: { contains: 'h_' } });
    assert.deepEqual(list.data.map((x: { name: string }) => x.name), ['h_a', 'h_b']);
    const one = await app.http.get('/tags/h_a');
    assert.equal(one.data.state, 'OPEN');
    assert.deepEqual(one.data.nextStates, ['TESTING', 'RUNNING']);
  });

  it('when states change, then only the calibration manager may do it and illegal moves are 409', async () => {
    assert.equal((await app.as(t.admin).post('/tags/h_a/state', { state: 'TESTING' })).status, 403);
    assert.equal((await app.as(t.expert).post('/tags/h_a/state', { state: 'TESTING' })).status, 403);
    assert.equal((await app.as(t.manager).post('/tags/h_a/state', { state: 'PUBLISHED' })).status, 409);
    const r = await app.as(t.manager).post('/tags/h_a/state', { state: 'TESTING', reason: 'test it' });
    assert.equal(r.status, 200);
    assert.equal(r.data.state, 'TESTING');
    const h = await app.http.get('/tags/h_a/history', { params: { kind: 'state' } });
    assert.equal(h.data.events[0].reason, 'test it');
  });

  it('when IoVs are edited over HTTP, then add, modify and delete work on OPEN tags and are in the history', async () => {
    await c.payload('HttpPayload', 2);
    const add = await app.as(t.manager).post('/tags/h_b/iovs', { payload: { name: 'HttpPayload', revision: 1 }, iov: iov(0, 0, -1, -1), reason: 'first' });
    assert.equal(add.status, 201);
    const bulk = await app.as(t.manager).post('/tags/h_b/iovs/bulk', { entries: [{ payload: { name: 'HttpPayload', revision: 2 }, iov: iov(0, 0, -1, -1) }] });
    assert.equal(bulk.status, 422, 'overlap refused');
    const mod = await app.as(t.manager).patch(`/tags/h_b/iovs/${add.data.id}`, { iov: iov(0, 0, 4, -1), reason: 'close' });
    assert.equal(mod.status, 200);
    const bulk2 = await app.as(t.manager).post('/tags/h_b/iovs/bulk', { entries: [{ payload: { name: 'HttpPayload', revision: 2 }, iov: iov(5, 0, -1, -1) }] });
    assert.equal(bulk2.status, 201);
    const del = await app.as(t.manager).delete(`/tags/h_b/iovs/${mod.data.id}`, { params: { reason: 'oops' } });
    assert.equal(del.status, 200);
    assert.equal((await app.as(t.expert).delete(`/tags/h_b/iovs/${bulk2.data.added[0].id}`)).status, 403);
    const list = await app.http.get('/tags/h_b/iovs');
    assert.deepEqual(list.data.iovs.map((i: { revision: number }) => i.revision), [2]);
    const badIov = await app.as(t.manager).post('/tags/h_b/iovs', { payload: { name: 'HttpPayload', revision: 1 }, iov: iov(3, 5, 3, 4) });
    assert.equal(badIov.status, 400);
    assert.match(JSON.stringify(badIov.data.error.details), /ends before it starts/);
    const h = await app.http.get('/tags/h_b/history');
    assert.deepEqual(h.data.events.map((e: { kind: string }) => e.kind).slice(0, 4), ['iov.delete', 'iov.insert', 'iov.modify', 'iov.insert']);
    assert.ok((await app.as(t.admin).get('/audit', { params: { action: 'iov.*', targetId: 'h_b' } })).data.length >= 4);
  });

  it('when a running update is refused over HTTP, then 422 lists each violation and nothing changes', async () => {
    await c.tag('h_running', 'running', [['HttpPayload', 1, 0, 0, 3, 50], ['HttpPayload', 2, 3, 51, -1, -1]], 'RUNNING');
    await c.tag('h_staging', 'staging', [['HttpPayload', 1, 0, 0, -1, -1]], 'VALIDATED');
    const body = { staging: 'h_staging', firstValid: { exp: 3, run: 40 } };
    assert.equal((await app.as(t.admin).post('/tags/h_running/runningupdate', body)).status, 403);
    const r = await app.as(t.manager).post('/tags/h_running/runningupdate', body);
    assert.equal(r.status, 422);
    const rules = r.data.error.details.violations.map((v: { rule: string }) => v.rule).sort();
    assert.deepEqual(rules, ['running-closed-ends-at-or-after-first-valid-run', 'running-starts-at-or-after-first-valid-run']);
    assert.equal((await app.http.get('/tags/h_running/iovs')).data.iovs.length, 2);
    const ok = await app.as(t.manager).post('/tags/h_running/runningupdate', { ...body, firstValid: { exp: 4, run: 0 }, dryRun: true });
    assert.equal(ok.status, 200);
    assert.equal(ok.data.applied, false);
  });

  it('when snapshot, merge, diff, clone, rename and FCSR are called over HTTP, then they work with the right roles', async () => {
    const snap = await app.as(t.manager).post('/tags/h_running/snapshot', { name: 'h_snap' });
    assert.equal(snap.status, 201);
    assert.equal(snap.data.state, 'PUBLISHED');
    assert.equal((await app.as(t.admin).post('/tags/h_running/snapshot', { name: 'h_snap2' })).status, 403);
    const merged = await app.as(t.manager).post('/merge', { sources: ['h_b', 'h_snap'], target: 'h_merged' });
    assert.equal(merged.status, 201);
    const d = await app.http.get('/diff', { params: { a: 'h_snap', b: 'h_merged' } });
    assert.equal(d.status, 200);
    assert.ok(d.data.unchanged + d.data.changed.length + d.data.added.length > 0);
    assert.equal((await app.as(t.admin).post('/tags/h_snap/clone', { name: 'h_clone' })).status, 403);
    const clone = await app.as(t.manager).post('/tags/h_snap/clone', { name: 'h_clone' });
    assert.equal(clone.status, 201);
    assert.equal(clone.data.copied, 2);
    const rn = await app.as(t.manager).patch('/tags/h_clone', { newName: 'h_clone2', description: 'renamed' });
    assert.equal(rn.status, 200);
    assert.equal(rn.data.name, 'h_clone2');
    assert.equal(rn.data.description, 'renamed');
    assert.equal((await app.as(t.manager).patch('/tags/h_snap', { newName: 'x' })).status, 422);
    const f = await app.as(t.manager).put('/tags/h_running/fcsr', { exp: 4, run: 10 });
    assert.deepEqual(f.data.fcsr, { exp: 4, run: 10 });
    const below = await app.as(t.manager).post('/tags/h_running/runningupdate', { staging: 'h_staging', firstValid: { exp: 4, run: 0 } });
    assert.equal(below.status, 422);
    assert.ok(below.data.error.details.violations.some((v: { rule: string }) => v.rule === 'below-fcsr'));
  });
});
