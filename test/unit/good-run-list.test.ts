import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOOD_RUN_LIST_FORMAT, filterGoodRuns, parseGoodRunList, selectFromGoodRunList, serializeGoodRunList, type GoodRunEntry } from '../../src/domain/good-run-list.ts';
import { DEFAULT_REQUIREMENTS } from '../../src/domain/reprocessing.ts';

const GOOD = { svd: 'good', cdc: 'good', ecl: 'good', top: 'good', arich: 'good', klm: 'good' };
const entry = (run: number, o: Partial<GoodRunEntry> = {}): GoodRunEntry => ({
  exp: 12, run, type: 'physics', quality: GOOD, files: { transferred: 2 }, flag: null, completeness: { hlt_skim: 'complete' }, complete: true, missing: null, ...o,
});
const runs = [
  entry(3, { quality: { ...GOOD, ecl: 'ugly' } }),
  entry(1),
  entry(2, { type: 'cosmic' }),
  entry(4, { files: { transferred: 1, corrupt: 1 }, complete: false, missing: 'hlt_skim: input error on f1' }),
  entry(5, { files: { corrupt: 2 } }),
];

test('when a list is serialised and parsed, then it comes back in run order; a document of another shape is refused', () => {
  const list = { format: GOOD_RUN_LIST_FORMAT, bucket: 'e12_bucket1', tag: 't', blessedAt: '2026-12-01T00:00:00.000Z', blessedBy: 'm', runs } as const;
  const back = parseGoodRunList(serializeGoodRunList({ ...list, runs: [...runs] }));
  assert.deepEqual(back.runs.map((r) => r.run), [1, 2, 3, 4, 5]);
  assert.throws(() => parseGoodRunList(JSON.stringify({ ...list, format: 'other' })));
  assert.throws(() => parseGoodRunList(JSON.stringify({ ...list, runs: [{ ...runs[0], run: -1 }] })));
  assert.throws(() => parseGoodRunList('not json'));
});

test('when a campaign selects from the list, then the rules are those of the run table: types, detectors, usable files', () => {
  const plan = selectFromGoodRunList(runs, DEFAULT_REQUIREMENTS);
  assert.deepEqual(plan.map((p) => [p.run, p.selected]), [[1, true], [2, false], [3, true], [4, true], [5, false]]);
  assert.match(plan.find((p) => p.run === 4)!.reason, /1 of 2 raw files unusable/);
  assert.match(plan.find((p) => p.run === 5)!.reason, /no usable raw file/);
  assert.equal(selectFromGoodRunList(runs, { ...DEFAULT_REQUIREMENTS, acceptUgly: false }).find((p) => p.run === 3)!.selected, false);
});

test('when runs good filters, then required detectors, ugly and completeness decide, each with why', () => {
  const f = (o: Partial<Parameters<typeof filterGoodRuns>[1]>) => filterGoodRuns(runs, { require: ['ecl'], acceptUgly: true, complete: false, ...o }).filter((r) => r.good).map((r) => r.run);
  assert.deepEqual(f({}), [3, 1, 2, 4, 5]);
  assert.deepEqual(f({ acceptUgly: false }), [1, 2, 4, 5]);
  assert.deepEqual(f({ complete: true }), [3, 1, 2, 5]);
  const why = filterGoodRuns(runs, { require: ['pxd'], acceptUgly: true, complete: false });
  assert.ok(why.every((r) => !r.good && r.reason === 'no pxd quality flag'));
});
