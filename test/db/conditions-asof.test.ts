/**
 * As-of reads: IoV rows are never rewritten (a change removes the old row and inserts a new one), so a tag can be
 * listed, resolved and diffed as it was at any earlier time.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { conditions, MANAGER } from '../helpers/conditions-fixtures.ts';
import { addIov } from '../../src/services/conditions/add-iov.ts';
import { modifyIov } from '../../src/services/conditions/modify-iov.ts';
import { deleteIov } from '../../src/services/conditions/delete-iov.ts';
import { listTagIovs } from '../../src/services/conditions/list-iovs.ts';
import { resolveChain } from '../../src/services/conditions/resolve-chain.ts';
import { diffTags } from '../../src/services/conditions/diff-tags.ts';
import { runningUpdate } from '../../src/services/conditions/running-update.ts';
import { snapshotTag } from '../../src/services/conditions/snapshot-tag.ts';
import { cloneTag } from '../../src/services/conditions/clone-tag.ts';

let app: TestApp;
let c: ReturnType<typeof conditions>;
before(async () => {
  app = await startTestApp();
  c = conditions(app.deps);
});
after(async () => app.close());

const HOUR = 3600_000;
const iovText = (l: { iovs: Array<{ name: string; revision: number; firstExp: number; firstRun: number; finalExp: number; finalRun: number }> }) =>
  l.iovs.map((i) => `${i.name} r${i.revision} ${i.firstExp},${i.firstRun},${i.finalExp},${i.finalRun}`);

describe('as-of reads', () => {
  it('when IoVs are added, modified and deleted over time, then listing as of each time shows the tag as it was', async () => {
    app.clock.set('2026-11-02T10:00:00Z');
    await c.tag('asof', 'staging', []);
    await c.payload('A', 2);
    const t0 = app.clock.now();
    app.clock.advance(HOUR);
    const a = await addIov(app.deps, MANAGER, { tag: 'asof', payload: { name: 'A', revision: 1 }, iov: { firstExp: 0, firstRun: 0, finalExp: -1, finalRun: -1 } });
    const t1 = app.clock.now();
    app.clock.advance(HOUR);
    const m = await modifyIov(app.deps, MANAGER, { tag: 'asof', id: a.id, iov: { firstExp: 0, firstRun: 0, finalExp: 4, finalRun: -1 } });
    await addIov(app.deps, MANAGER, { tag: 'asof', payload: { name: 'A', revision: 2 }, iov: { firstExp: 5, firstRun: 0, finalExp: -1, finalRun: -1 } });
    const t2 = app.clock.now();
    app.clock.advance(HOUR);
    await deleteIov(app.deps, MANAGER, { tag: 'asof', id: m.id });
    const t3 = app.clock.now();

    assert.deepEqual(iovText(await listTagIovs(app.deps, 'asof', { asOf: t0 })), []);
    assert.deepEqual(iovText(await listTagIovs(app.deps, 'asof', { asOf: t1 })), ['A r1 0,0,-1,-1']);
    assert.deepEqual(iovText(await listTagIovs(app.deps, 'asof', { asOf: t2 })), ['A r1 0,0,4,-1', 'A r2 5,0,-1,-1']);
    assert.deepEqual(iovText(await listTagIovs(app.deps, 'asof', { asOf: t3 })), ['A r2 5,0,-1,-1']);
    assert.deepEqual(iovText(await listTagIovs(app.deps, 'asof')), ['A r2 5,0,-1,-1']);
    // a time between two changes sees the earlier state
    assert.deepEqual(iovText(await listTagIovs(app.deps, 'asof', { asOf: new Date(t1.getTime() + HOUR / 2) })), ['A r1 0,0,-1,-1']);
    const full = await listTagIovs(app.deps, 'asof', { includeRemoved: true });
    assert.equal(full.iovs.length, 3);
    assert.equal(full.iovs.filter((i) => i.removedAt).length, 2);
  });

  it('when a running tag is resolved as of a time before a running update, then the old payload comes back', async () => {
    app.clock.set('2026-11-03T10:00:00Z');
    await c.tag('asof_running', 'running', [['B', 1, 0, 0, -1, -1]], 'RUNNING');
    await c.tag('asof_staging', 'staging', [['B', 2, 0, 0, -1, -1]], 'VALIDATED');
    const before = app.clock.now();
    app.clock.advance(HOUR);
    await runningUpdate(app.deps, MANAGER, { running: 'asof_running', staging: 'asof_staging', firstValid: { exp: 2, run: 0 } });
    const now = await resolveChain(app.deps, { tags: ['asof_running'], exp: 3, run: 1 });
    const then = await resolveChain(app.deps, { tags: ['asof_running'], exp: 3, run: 1, asOf: before });
    assert.equal(now.payloads[0].revision, 2);
    assert.equal(then.payloads[0].revision, 1);
    assert.equal(then.payloads[0].iov.join(','), '0,0,-1,-1');

    const d = await diffTags(app.deps, { a: 'asof_running', asOfA: before });
    assert.deepEqual(d.changed, [{ name: 'B', from: { revision: 1, iov: '0,0,-1,-1' }, to: { revision: 1, iov: '0,0,1,-1' } }]);
    assert.deepEqual(d.added, [{ name: 'B', revision: 2, iov: '2,0,-1,-1' }]);
    assert.deepEqual(d.removed, []);

    const snap = await snapshotTag(app.deps, MANAGER, { source: 'asof_running', name: 'asof_snap_then', asOf: before });
    assert.deepEqual(await c.live(snap.name), ['B r1 0,0,-1,-1']);
    const cl = await cloneTag(app.deps, MANAGER, { source: 'asof_running', name: 'asof_clone_then', asOf: before });
    assert.equal(cl.copied, 1);
  });

  it('when two tags are diffed, then added, removed and changed entries are listed', async () => {
    await c.tag('diff_a', 'release', [['D', 1, 0, 0, -1, -1], ['E', 1, 0, 0, -1, -1]]);
    await c.tag('diff_b', 'release', [['D', 1, 0, 0, 3, -1], ['D', 2, 4, 0, -1, -1], ['F', 1, 0, 0, -1, -1]]);
    const d = await diffTags(app.deps, { a: 'diff_a', b: 'diff_b' });
    assert.deepEqual(d.changed.map((x) => `${x.name} ${x.from.iov} -> ${x.to.iov}`), ['D 0,0,-1,-1 -> 0,0,3,-1']);
    assert.deepEqual(d.added.map((x) => `${x.name} r${x.revision}`), ['D r2', 'F r1']);
    assert.deepEqual(d.removed.map((x) => x.name), ['E']);
  });
});
