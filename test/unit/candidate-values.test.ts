/** The candidate's constants as the result.json contract gives them (metrics.values ± metrics.uncertainties). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateValues } from '../../src/services/calibration/candidate-view.ts';
import { bucketWait } from '../../src/domain/bucket-waits.ts';

test('when an algorithm reports values with uncertainties, then each constant comes with its error', () => {
  assert.deepEqual(candidateValues({ values: { g0: 1.01, g1: 0.99 }, uncertainties: { g0: 0.002 } }), [
    { key: 'g0', value: 1.01, error: 0.002 },
    { key: 'g1', value: 0.99, error: null },
  ]);
});

test('when an algorithm reports no values (or none numeric), then the candidate says so with null', () => {
  assert.equal(candidateValues({ chi2ndf: 1.1 }), null);
  assert.equal(candidateValues({ values: [1, 2] }), null);
  assert.equal(candidateValues({ values: { a: 'x' } }), null);
});

test('when a per-run candidate reads a payload keyed by run, then it shows its own run only', () => {
  assert.deepEqual(candidateValues({ run: 102, values: { '101': 0.98, '102': 1.02 }, uncertainties: { '102': 0.01 } }), [{ key: '102', value: 1.02, error: 0.01 }]);
});

test('when a bucket failed, then it waits on the manager of the stage it failed in', () => {
  assert.equal(bucketWait('failed', 'calibrating').on, 'calibration_manager');
  assert.equal(bucketWait('failed', 'producing').on, 'data_production_manager');
  assert.equal(bucketWait('awaiting_approval').on, 'calibration_manager');
  assert.equal(bucketWait('producing').on, 'system');
});
