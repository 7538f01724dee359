/**
 * Many simultaneous requests on one tag (≥ 50 each): uploads never produce duplicate revisions, IoV additions never
 * produce overlaps, running updates apply one after the other, and everything finishes (no deadlock).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { conditions } from '../helpers/conditions-fixtures.ts';
import { findOverlaps, unionAll, type Iov } from '../../src/domain/iov.ts';

let app: TestApp;
let manager: string;
let c: ReturnType<typeof conditions>;
const N = 60;
const octet = { headers: { 'content-type': 'application/octet-stream' } };
before(async () => {
  app = await startTestApp();
  manager = await app.tokenFor('calibration_manager');
  c = conditions(app.deps);
});
after(async () => app.close());

async function liveIovs(tag: string, name: string): Promise<Iov[]> {
  const r = await app.http.get(`/tags/${tag}/iovs`, { params: { name } });
  return r.data.iovs;
}

describe(`concurrency: ${N} parallel requests on one tag`, () => {
  it('when different contents are uploaded under one name at once, then revisions are 1..N without duplicates', async () => {
    const rs = await Promise.all(Array.from({ length: N }, (_, k) => app.as(manager).post('/payloads/Busy', Buffer.from(`content ${k}`), octet)));
    assert.deepEqual(rs.map((r) => r.status).filter((s) => s !== 201), []);
    const revs = rs.map((r) => r.data.revision).sort((a, b) => a - b);
    assert.deepEqual(revs, Array.from({ length: N }, (_, k) => k + 1));
  });

  it('when identical bytes are uploaded under one name at once, then exactly one revision exists', async () => {
    const rs = await Promise.all(Array.from({ length: N }, () => app.as(manager).post('/payloads/Same', Buffer.from('same bytes'), octet)));
    assert.ok(rs.every((r) => r.status === 200 || r.status === 201));
    assert.equal(rs.filter((r) => r.status === 201).length, 1);
    assert.equal(new Set(rs.map((r) => r.data.revision)).size, 1);
    assert.equal(await app.deps.prisma.payload.count({ where: { name: 'Same' } }), 1);
  });

  it('when overlapping IoVs of one payload are added at once, then the accepted ones never overlap and the rest get 422', async () => {
    await c.tag('crowded', 'staging', []);
    // IoV k covers runs 10k..10k+14: each overlaps its neighbours
    const rs = await Promise.all(
      Array.from({ length: N }, (_, k) =>
        app.as(manager).post('/tags/crowded/iovs', { payload: { name: 'Busy', revision: 1 + (k % 5) }, iov: { firstExp: 1, firstRun: 10 * k, finalExp: 1, finalRun: 10 * k + 14 } }),
      ),
    );
    const statuses = rs.map((r) => r.status);
    assert.ok(statuses.every((s) => s === 201 || s === 422), `statuses ${[...new Set(statuses)]}`);
    const live = await liveIovs('crowded', 'Busy');
    assert.equal(live.length, statuses.filter((s) => s === 201).length);
    assert.deepEqual(findOverlaps(live), []);
    // every refused IoV was refused because of one that got in (the accepted set is maximal)
    rs.forEach((r, k) => {
      if (r.status !== 422) return;
      const mine = { firstExp: 1, firstRun: 10 * k, finalExp: 1, finalRun: 10 * k + 14 };
      assert.ok(live.some((l) => findOverlaps([l, mine]).length === 1), `IoV ${k} was refused without a reason`);
    });
  });

  it('when disjoint IoVs are added at once, then all are accepted', async () => {
    await c.tag('wide', 'staging', []);
    const rs = await Promise.all(
      Array.from({ length: N }, (_, k) => app.as(manager).post('/tags/wide/iovs', { payload: { name: 'Busy', revision: 1 }, iov: { firstExp: 2, firstRun: 10 * k, finalExp: 2, finalRun: 10 * k + 9 } })),
    );
    assert.deepEqual([...new Set(rs.map((r) => r.status))], [201]);
    assert.equal((await liveIovs('wide', 'Busy')).length, N);
  });

  it('when running updates with different first valid runs hit one RUNNING tag at once, then they apply one at a time and coverage stays gap- and overlap-free', async () => {
    await c.tag('hot_running', 'running', [['Busy', 1, 0, 0, -1, -1]], 'RUNNING');
    for (let k = 0; k < N; k++) {
      await c.tag(`hot_staging_${k}`, 'staging', [['Busy', 2 + (k % 50), 0, 0, -1, -1]], 'VALIDATED');
    }
    const order = Array.from({ length: N }, (_, k) => k).sort(() => Math.random() - 0.5);
    const started = Date.now();
    const rs = await Promise.all(
      order.map((k) => app.as(manager).post('/tags/hot_running/runningupdate', { staging: `hot_staging_${k}`, firstValid: { exp: 5, run: 100 + 10 * k } })),
    );
    const statuses = rs.map((r) => r.status);
    assert.ok(statuses.every((s) => s === 200 || s === 422), `statuses ${[...new Set(statuses)]}`);
    assert.ok(statuses.includes(200));
    for (const r of rs.filter((x) => x.status === 422)) {
      assert.ok(r.data.error.details.violations.every((v: { rule: string }) => v.rule === 'running-starts-at-or-after-first-valid-run' || v.rule === 'running-closed-ends-at-or-after-first-valid-run'));
    }
    const live = await liveIovs('hot_running', 'Busy');
    assert.deepEqual(findOverlaps(live), []);
    assert.deepEqual(unionAll(live), [{ firstExp: 0, firstRun: 0, finalExp: -1, finalRun: -1 }], 'no gap');
    // the applied updates went in increasing order of first valid run. Staging revisions repeat (k and k + 50 share
    // one): an update whose revision is already the open running IoV's keeps that IoV and adds nothing (a 200 with
    // no change), so only the updates that added an IoV have a start of their own
    const noOps = rs.filter((r) => r.status === 200 && r.data.counts.added === 0);
    for (const r of noOps) assert.ok(r.data.closed.length === 0 && r.data.extended.every((e: { unchanged: boolean }) => e.unchanged), `an update that added nothing changed something: ${JSON.stringify(r.data)}`);
    const applied = rs.filter((r) => r.status === 200 && r.data.counts.added > 0).map((r) => r.data.firstValid.run);
    const starts = live.map((i) => i.firstRun).filter((r) => r >= 100).sort((a, b) => a - b);
    assert.deepEqual(starts, [...applied].sort((a, b) => a - b));
    assert.ok(Date.now() - started < 120_000, 'finished (no deadlock)');
  });
});
