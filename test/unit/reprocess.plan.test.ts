import { test } from 'node:test';
import assert from 'node:assert/strict';
import { campaignLifecycle, selectRuns, aggregateProgress, settleCampaign, isFailingBeyond, DEFAULT_REQUIREMENTS } from '../../src/domain/reprocessing.ts';

const good = { svd: 'good', cdc: 'good', ecl: 'good', top: 'good', arich: 'good', klm: 'good' };
const files = [{ status: 'transferred' }, { status: 'transferred' }];
const run = (r: number, over: object = {}) => ({ exp: 12, run: r, type: 'physics', quality: good, files, ...over });

test('when runs are selected, then good physics runs are taken and every skipped run has a reason', () => {
  const plan = selectRuns(
    [
      run(4),
      run(1),
      run(2, { type: 'cosmic' }),
      run(3, { quality: { ...good, cdc: 'bad' } }),
      run(5, { quality: { ...good, ecl: 'ugly' } }),
      run(6, { files: [{ status: 'missing' }] }),
      run(7, { files: [{ status: 'transferred' }, { status: 'corrupt' }] }),
    ],
    DEFAULT_REQUIREMENTS,
  );
  assert.deepEqual(plan.map((p) => p.run), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(plan.filter((p) => p.selected).map((p) => p.run), [1, 4, 5, 7]);
  assert.match(plan[1].reason, /run type cosmic/);
  assert.match(plan[2].reason, /cdc quality is bad/);
  assert.match(plan[5].reason, /no usable raw file/);
  assert.match(plan[6].reason, /1 of 2 raw files unusable/);
});

test('when the campaign requires only some detectors and refuses ugly, then selection follows those requirements', () => {
  const plan = selectRuns(
    [run(1, { quality: { ...good, klm: 'bad' } }), run(2, { quality: { ...good, ecl: 'ugly' } })],
    { runTypes: ['physics'], requireGood: ['ecl'], acceptUgly: false },
  );
  assert.deepEqual(plan.map((p) => p.selected), [true, false]);
  assert.match(plan[1].reason, /ecl quality is ugly/);
});

test('when jobs end, then progress counts runs done/failed/pending, events, and settles by the threshold', () => {
  const plan = selectRuns([run(1), run(2), run(3, { type: 'cosmic' })], DEFAULT_REQUIREMENTS);
  const running = aggregateProgress(plan, [
    { exp: 12, run: 1, state: 'succeeded', eventsIn: 100, eventsOut: 90 },
    { exp: 12, run: 2, state: 'running' },
  ]);
  assert.equal(running.complete, false);
  assert.equal(settleCampaign(running, 0.5), undefined);
  const ended = aggregateProgress(plan, [
    { exp: 12, run: 1, state: 'succeeded', eventsIn: 100, eventsOut: 90 },
    { exp: 12, run: 2, state: 'failed', errorClass: 'input', errorMessage: 'not a raw file', eventsIn: 0 },
  ]);
  assert.deepEqual(ended.runs, { selected: 2, done: 1, failed: 1, pending: 0, skipped: 1 });
  assert.deepEqual(ended.events, { in: 100, out: 90 });
  assert.equal(ended.failedFraction, 0.5);
  assert.match(ended.perRun[1].reason, /input error/);
  assert.equal(settleCampaign(ended, 0.5), 'finished');
  assert.equal(settleCampaign(ended, 0.4), 'failed');
  assert.ok(isFailingBeyond(ended, 0.1));
  assert.ok(!isFailingBeyond(ended, 0.5));
});

test('when a campaign has no selected run, then it is complete at once', () => {
  const p = aggregateProgress(selectRuns([run(1, { type: 'cosmic' })], DEFAULT_REQUIREMENTS), []);
  assert.equal(p.complete, true);
  assert.equal(settleCampaign(p, 0), 'finished');
});

test('when a campaign would move out of a final state, then the transition is refused', () => {
  assert.doesNotThrow(() => campaignLifecycle.assert('created', 'launched'));
  assert.throws(() => campaignLifecycle.assert('finished', 'running'), /cannot go from finished to running/);
  assert.throws(() => campaignLifecycle.assert('created', 'finished'));
});
