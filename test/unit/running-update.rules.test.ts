/**
 * Each running-update rule of DOMAIN §2 on its own: the update is refused and the violation names the IoV and the rule.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planRunningUpdate, type RunningUpdateInput, type TagIov, type Violation } from '../../src/domain/running-update.ts';

let nextId = 1;
function t(name: string, revision: number, e1: number, r1: number, e2: number, r2: number): TagIov {
  return { id: nextId++, name, revision, payloadId: revision, firstExp: e1, firstRun: r1, finalExp: e2, finalRun: r2 };
}

function refused(input: RunningUpdateInput): Violation[] {
  const r = planRunningUpdate(input);
  assert.equal(r.ok, false, 'the update should be refused');
  return r.ok ? [] : r.violations;
}

const R = { exp: 5, run: 100 };

describe('running update rules', () => {
  it('when the first valid run is below the first condition-safe run, then rule below-fcsr refuses it', () => {
    const v = refused({ running: [t('A', 1, 0, 0, -1, -1)], staging: [t('A', 2, 0, 0, -1, -1)], firstValid: R, fcsr: { exp: 5, run: 120 } });
    assert.deepEqual(v.map((x) => x.rule), ['below-fcsr']);
    assert.match(v[0].message, /below the first condition-safe run 5,120/);
  });

  it('when a running IoV starts at or after the first valid run, then the rule names that IoV', () => {
    const late = t('A', 3, 5, 100, -1, -1);
    const v = refused({ running: [t('B', 1, 0, 0, -1, -1), late], staging: [t('A', 4, 0, 0, -1, -1)], firstValid: R });
    assert.equal(v.length, 1);
    assert.equal(v[0].rule, 'running-starts-at-or-after-first-valid-run');
    assert.equal(v[0].iov?.id, late.id);
    assert.equal(v[0].name, 'A');
    assert.equal(v[0].tag, 'running');
  });

  it('when a closed running IoV ends at or after the first valid run, then the rule names that IoV', () => {
    const closed = t('A', 3, 5, 0, 5, 100);
    const v = refused({ running: [closed], staging: [t('A', 4, 0, 0, -1, -1)], firstValid: R });
    assert.deepEqual(v.map((x) => [x.rule, x.iov?.id]), [['running-closed-ends-at-or-after-first-valid-run', closed.id]]);
    const endOfExp = t('B', 1, 4, 0, 5, -1);
    const v2 = refused({ running: [endOfExp], staging: [], firstValid: R });
    assert.deepEqual(v2.map((x) => [x.rule, x.iov?.id]), [['running-closed-ends-at-or-after-first-valid-run', endOfExp.id]]);
  });

  it('when staging IoVs of one name overlap, then rule staging-overlap names both', () => {
    const a = t('A', 1, 5, 100, 5, 200);
    const b = t('A', 2, 5, 150, -1, -1);
    const v = refused({ running: [], staging: [a, b], firstValid: R });
    assert.deepEqual(v.map((x) => x.rule), ['staging-overlap']);
    assert.equal(v[0].iov?.id, b.id);
    assert.equal(v[0].other?.id, a.id);
  });

  it('when staging IoVs of one name leave a gap, then rule staging-gap names the IoV after the gap', () => {
    const a = t('A', 1, 5, 100, 5, 200);
    const b = t('A', 2, 5, 250, -1, -1);
    const v = refused({ running: [], staging: [a, b], firstValid: R });
    assert.deepEqual(v.map((x) => x.rule), ['staging-gap']);
    assert.equal(v[0].iov?.id, b.id);
    assert.match(v[0].message, /gap \[5,201,5,249\]/);
  });

  it('when a staging IoV not starting at 0,0 starts before the first valid run, then rule staging-starts-before-first-valid-run', () => {
    const early = t('A', 1, 5, 99, -1, -1);
    const v = refused({ running: [], staging: [early], firstValid: R });
    assert.deepEqual(v.map((x) => [x.rule, x.iov?.id]), [['staging-starts-before-first-valid-run', early.id]]);
  });

  it('when a staging IoV starting at 0,0 ends before the first valid run, then rule staging-ends-before-first-valid-run', () => {
    const short = t('A', 1, 0, 0, 5, 50);
    const v = refused({ running: [], staging: [short], firstValid: R, mode: 'allow-closed' });
    assert.deepEqual(v.map((x) => [x.rule, x.iov?.id]), [['staging-ends-before-first-valid-run', short.id]]);
  });

  it('when the staging coverage of a name is closed in strict mode, then rule staging-not-open-ended', () => {
    const closed = t('A', 1, 0, 0, 7, -1);
    const v = refused({ running: [], staging: [closed], firstValid: R });
    assert.deepEqual(v.map((x) => [x.rule, x.iov?.id]), [['staging-not-open-ended', closed.id]]);
    assert.match(v[0].message, /allow-closed or fix-closed/);
  });

  it('when several rules are broken, then every violation is listed, not only the first', () => {
    const v = refused({
      running: [t('A', 1, 6, 0, -1, -1)],
      staging: [t('B', 1, 5, 0, -1, -1), t('C', 1, 0, 0, 5, 200)],
      firstValid: R,
      fcsr: { exp: 6, run: 0 },
    });
    assert.deepEqual(v.map((x) => x.rule).sort(), [
      'below-fcsr',
      'running-starts-at-or-after-first-valid-run',
      'staging-not-open-ended',
      'staging-starts-before-first-valid-run',
    ]);
  });

  it('when allow-closed, fix-closed or full-replacement is chosen, then closed staging coverage is not a violation', () => {
    for (const mode of ['allow-closed', 'fix-closed', 'full-replacement'] as const) {
      const r = planRunningUpdate({ running: [], staging: [t('A', 1, 0, 0, 7, -1)], firstValid: R, mode });
      assert.equal(r.ok, true, mode);
    }
  });
});
