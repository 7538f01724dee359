/**
 * What a running update does when it is allowed: closes, extensions, additions, modes and the next possible update.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planRunningUpdate, type RunningUpdateInput, type RunningUpdatePlan, type TagIov } from '../../src/domain/running-update.ts';
import { formatIov, iov } from '../../src/domain/iov.ts';

let nextId = 1;
function t(name: string, revision: number, e1: number, r1: number, e2: number, r2: number): TagIov {
  return { id: nextId++, name, revision, payloadId: revision, firstExp: e1, firstRun: r1, finalExp: e2, finalRun: r2 };
}
function plan(input: RunningUpdateInput): RunningUpdatePlan {
  const r = planRunningUpdate(input);
  if (!r.ok) assert.fail(`refused: ${r.violations.map((v) => v.message).join('; ')}`);
  return r.plan;
}
const R = { exp: 5, run: 100 };

describe('running update operations', () => {
  it('when staging starts at 0,0, then it is moved to the first valid run and the open running IoV is closed just before', () => {
    const run = t('A', 1, 0, 0, -1, -1);
    const p = plan({ running: [run], staging: [t('A', 2, 0, 0, -1, -1)], firstValid: R });
    assert.deepEqual(p.closed.map((c) => [c.iov.id, formatIov(c.to)]), [[run.id, '0,0,5,99']]);
    assert.deepEqual(p.added.map((a) => [a.staging.revision, formatIov(a.iov)]), [[2, '5,100,-1,-1']]);
    assert.deepEqual(p.extended, []);
    assert.deepEqual(p.nextFirstValid, { exp: 5, run: 101 });
  });

  it('when the first valid run is the first run of an experiment, then the running IoV ends with all of the previous experiment', () => {
    const run = t('A', 1, 0, 0, -1, -1);
    const p = plan({ running: [run], staging: [t('A', 2, 0, 0, -1, -1)], firstValid: { exp: 6, run: 0 } });
    assert.equal(formatIov(p.closed[0].to), '0,0,5,-1');
  });

  it('when staging coverage starts after the first valid run, then the running IoV is closed just before the coverage', () => {
    const run = t('A', 1, 0, 0, -1, -1);
    const p = plan({ running: [run], staging: [t('A', 2, 5, 150, -1, -1)], firstValid: R });
    assert.equal(formatIov(p.closed[0].to), '0,0,5,149');
    assert.equal(formatIov(p.added[0].iov), '5,150,-1,-1');
  });

  it('when staging holds the same revision as the open running IoV, then the running IoV is kept and nothing is added', () => {
    const run = t('A', 7, 0, 0, -1, -1);
    const p = plan({ running: [run], staging: [t('A', 7, 0, 0, -1, -1)], firstValid: R });
    assert.deepEqual(p.closed, []);
    assert.deepEqual(p.added, []);
    assert.equal(p.extended.length, 1);
    assert.equal(p.extended[0].unchanged, true);
  });

  it('when the same revision is followed by a new one in staging, then the running IoV is extended up to the new one', () => {
    const run = t('A', 7, 0, 0, -1, -1);
    const p = plan({ running: [run], staging: [t('A', 7, 0, 0, 5, 199), t('A', 8, 5, 200, -1, -1)], firstValid: R });
    assert.deepEqual(p.extended.map((e) => [e.iov.id, formatIov(e.to), e.unchanged]), [[run.id, '0,0,5,199', false]]);
    assert.deepEqual(p.added.map((a) => formatIov(a.iov)), ['5,200,-1,-1']);
    assert.deepEqual(p.closed, []);
  });

  it('when a closed running IoV ends just before the first valid run with the same revision, then it is extended, not copied', () => {
    const run = t('A', 7, 0, 0, 5, 99);
    const p = plan({ running: [run], staging: [t('A', 7, 0, 0, -1, -1)], firstValid: R });
    assert.deepEqual(p.extended.map((e) => [e.iov.id, formatIov(e.to)]), [[run.id, '0,0,-1,-1']]);
    assert.deepEqual(p.added, []);
  });

  it('when a closed running IoV ends earlier with the same revision, then a new IoV is added (no gap is filled silently)', () => {
    const run = t('A', 7, 0, 0, 5, 50);
    const p = plan({ running: [run], staging: [t('A', 7, 0, 0, -1, -1)], firstValid: R });
    assert.deepEqual(p.extended, []);
    assert.deepEqual(p.added.map((a) => formatIov(a.iov)), ['5,100,-1,-1']);
  });

  it('when a name is absent from staging, then its open running IoV stays open (strict) or is closed (full-replacement)', () => {
    const a = t('A', 1, 0, 0, -1, -1);
    const b = t('B', 1, 0, 0, -1, -1);
    const strict = plan({ running: [a, b], staging: [t('A', 2, 0, 0, -1, -1)], firstValid: R });
    assert.deepEqual(strict.closed.map((c) => c.iov.id), [a.id]);
    const full = plan({ running: [a, b], staging: [t('A', 2, 0, 0, -1, -1)], firstValid: R, mode: 'full-replacement' });
    assert.deepEqual(full.closed.map((c) => [c.iov.id, formatIov(c.to)]).sort(), [[a.id, '0,0,5,99'], [b.id, '0,0,5,99']].sort());
  });

  it('when fix-closed is chosen, then the last staging IoV of each name is opened', () => {
    const p = plan({ running: [], staging: [t('A', 1, 0, 0, 5, 199), t('A', 2, 5, 200, 6, -1)], firstValid: R, mode: 'fix-closed' });
    assert.deepEqual(p.added.map((a) => formatIov(a.iov)), ['5,100,5,199', '5,200,-1,-1']);
  });

  it('when allow-closed retires a payload, then its running IoV is closed and the closed staging IoV is added as is', () => {
    const run = t('A', 1, 0, 0, -1, -1);
    const p = plan({ running: [run], staging: [t('A', 2, 0, 0, 5, 300)], firstValid: R, mode: 'allow-closed' });
    assert.equal(formatIov(p.closed[0].to), '0,0,5,99');
    assert.equal(formatIov(p.added[0].iov), '5,100,5,300');
    assert.deepEqual(p.nextFirstValid, { exp: 5, run: 301 });
  });

  it('when closed running IoVs already end before the first valid run, then they are left alone', () => {
    const old = t('A', 1, 0, 0, 4, -1);
    const open = t('A', 2, 5, 0, -1, -1);
    const p = plan({ running: [old, open], staging: [t('A', 3, 0, 0, -1, -1)], firstValid: R });
    assert.deepEqual(p.closed.map((c) => c.iov.id), [open.id]);
  });

  it('when the plan is made, then the next possible update is after the latest start and the FCSR', () => {
    const p = plan({ running: [t('A', 1, 0, 0, -1, -1)], staging: [t('A', 2, 5, 300, -1, -1)], firstValid: R, fcsr: { exp: 5, run: 50 } });
    assert.deepEqual(p.nextFirstValid, { exp: 5, run: 301 });
    const empty = plan({ running: [t('A', 1, 0, 0, -1, -1)], staging: [], firstValid: R, fcsr: { exp: 5, run: 90 } });
    assert.deepEqual(empty.nextFirstValid, { exp: 5, run: 90 });
    assert.deepEqual([empty.closed, empty.added, empty.extended], [[], [], []]);
  });

  it('when a plan is applied by hand, then no name has overlapping IoVs afterwards', () => {
    const running = [t('A', 1, 0, 0, -1, -1), t('B', 1, 0, 0, 3, -1), t('B', 2, 4, 0, -1, -1), t('C', 5, 0, 0, -1, -1)];
    const staging = [t('A', 2, 0, 0, 5, 199), t('A', 3, 5, 200, -1, -1), t('B', 2, 0, 0, -1, -1), t('D', 1, 0, 0, -1, -1)];
    const p = plan({ running, staging, firstValid: R, mode: 'full-replacement' });
    const changed = new Map([...p.closed, ...p.extended].map((c) => [c.iov.id, c.to]));
    const after = [...running.map((r) => ({ name: r.name, iov: changed.get(r.id) ?? iov(r.firstExp, r.firstRun, r.finalExp, r.finalRun) })), ...p.added.map((a) => ({ name: a.staging.name, iov: a.iov }))];
    const text = after.map((a) => `${a.name} ${formatIov(a.iov)}`).sort();
    assert.deepEqual(text, ['A 0,0,5,99', 'A 5,100,5,199', 'A 5,200,-1,-1', 'B 0,0,3,-1', 'B 4,0,-1,-1', 'C 0,0,5,99', 'D 5,100,-1,-1']);
  });
});
