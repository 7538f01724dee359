import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requestLifecycle, candidateLifecycle, calibrationLifecycle, decideAfterIteration, requestStateFor } from '../../src/domain/calibration-states.ts';
import { DomainError } from '../../src/domain/errors.ts';

describe('calibration stage table', () => {
  it('when every stage is listed, then each has a transition entry and targets are stages', () => {
    for (const s of calibrationLifecycle.list) {
      assert.ok(Array.isArray(calibrationLifecycle.transitions[s]), s);
      for (const t of calibrationLifecycle.transitions[s]) assert.ok(calibrationLifecycle.is(t), `${s} → ${t}`);
    }
  });

  it('when a calibration converged, then only a rejection can move it', () => {
    assert.ok(calibrationLifecycle.can('converged', 'rejected'));
    assert.ok(!calibrationLifecycle.can('converged', 'running'));
    assert.ok(!calibrationLifecycle.can('failed', 'waiting'));
  });

  it('when an illegal move is asked, then ILLEGAL_TRANSITION is thrown naming both stages', () => {
    assert.throws(
      () => calibrationLifecycle.assert('failed', 'running'),
      (e: unknown) => e instanceof DomainError && e.code === 'ILLEGAL_TRANSITION' && /failed to running/.test(e.message),
    );
    assert.throws(() => calibrationLifecycle.assert('nonsense', 'running'), DomainError);
    assert.doesNotThrow(() => calibrationLifecycle.assert('blocked', 'waiting'));
  });

  it('when candidates and requests move, then their tables are enforced too', () => {
    assert.doesNotThrow(() => candidateLifecycle.assert('pending', 'approved'));
    assert.throws(() => candidateLifecycle.assert('rejected', 'approved'), DomainError);
    assert.doesNotThrow(() => requestLifecycle.assert('submitted', 'approved'));
    assert.throws(() => requestLifecycle.assert('rejected', 'approved'), DomainError);
  });

  it('when a calibration ends, then its request follows (blocked and rejected leave it alone)', () => {
    assert.equal(requestStateFor('running'), 'running');
    assert.equal(requestStateFor('converged'), 'done');
    assert.equal(requestStateFor('stopped'), 'done');
    assert.equal(requestStateFor('failed'), 'failed');
    assert.equal(requestStateFor('not_enough_data'), 'failed');
    assert.equal(requestStateFor('blocked'), undefined);
    assert.equal(requestStateFor('rejected'), undefined);
  });
});

describe('iteration decision', () => {
  it('when the algorithm converges, then the calibration is converged whatever the iteration', () => {
    assert.deepEqual(decideAfterIteration({ outcome: 'converged', iteration: 0, maxIterations: 5 }).kind, 'finish');
    const d = decideAfterIteration({ outcome: 'converged', iteration: 4, maxIterations: 5 });
    assert.equal(d.kind === 'finish' && d.stage, 'converged');
  });

  it('when the algorithm asks to iterate below the bound, then the next iteration follows', () => {
    assert.deepEqual(decideAfterIteration({ outcome: 'iterate', iteration: 0, maxIterations: 5 }), { kind: 'next', iteration: 1 });
    assert.deepEqual(decideAfterIteration({ outcome: 'iterate', iteration: 3, maxIterations: 5 }), { kind: 'next', iteration: 4 });
  });

  it('when the algorithm still asks to iterate at max_iterations, then it stops as a distinct result, not converged', () => {
    const d = decideAfterIteration({ outcome: 'iterate', iteration: 4, maxIterations: 5 });
    assert.equal(d.kind, 'finish');
    assert.equal(d.kind === 'finish' && d.stage, 'stopped');
    assert.match(d.kind === 'finish' ? d.reason : '', /max_iterations 5/);
    const once = decideAfterIteration({ outcome: 'iterate', iteration: 0, maxIterations: 1 });
    assert.equal(once.kind === 'finish' && once.stage, 'stopped');
  });

  it('when the algorithm reports not enough data or failure, then the calibration ends so', () => {
    const n = decideAfterIteration({ outcome: 'not_enough_data', iteration: 1, maxIterations: 5 });
    assert.equal(n.kind === 'finish' && n.stage, 'not_enough_data');
    const f = decideAfterIteration({ outcome: 'failed', iteration: 0, maxIterations: 5 });
    assert.equal(f.kind === 'finish' && f.stage, 'failed');
  });
});
