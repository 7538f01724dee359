import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadCalibrations } from '../../src/config/load-config.ts';
import {
  calibrationJobKey,
  compareValues,
  currentRuns,
  decideTick,
  judgeInputs,
  judgeReadiness,
  mergeExpertConfig,
  planBucket,
  planIovs,
  metricsOfRun,
  selectInputs,
  type PlanFile,
  type PlanRun,
} from '../../src/domain/calibration-plan.ts';

const defs = loadCalibrations(join(import.meta.dirname, '../../calibrations'));
const byName = new Map(defs.map((d) => [d.name, d]));
const scope = { exp: 12, firstRun: 1, lastRun: 4 };
const good = { svd: 'good', cdc: 'good', ecl: 'good', top: 'good', arich: 'good', klm: 'good' } as const;
const runs: PlanRun[] = [1, 2, 3, 4].map((run) => ({ exp: 12, run, type: 'physics', quality: { ...good }, magnet: 'on' }));
const SKIMS = ['hlt_bhabha', 'hlt_mumu_2trk', 'hlt_hadron', 'hlt_gamma_gamma'];
const files: PlanFile[] = [1, 2, 3, 4].flatMap((run) =>
  SKIMS.map((skim) => ({ path: `/d/e12_r${run}_${skim}.cdst`, skim, exp: 12, run, events: 500, size: 1000 })),
);
const dependsOn = (n: string) => byName.get(n)!.dependsOn;

describe('input selection', () => {
  it('when a run fails a filter, then its files are left out and the failing clause is named', () => {
    const badEcl: PlanRun[] = runs.map((r) => (r.run === 2 ? { ...r, quality: { ...good, ecl: 'bad' } } : r));
    const inputs = selectInputs(byName.get('ecl_energy')!, scope, badEcl, files);
    assert.deepEqual(inputs.runs, [1, 3, 4]);
    assert.equal(inputs.files.length, 3);
    assert.ok(inputs.files.every((f) => f.skim === 'hlt_bhabha'));
    assert.deepEqual(inputs.excluded, [{ run: 2, input: 'hlt_bhabha', failed: ['data_quality good'] }]);
    assert.equal(inputs.events, 1500);
  });

  it('when a NOT clause matches, then the run is excluded (cosmic runs for arich)', () => {
    const cosmic = runs.map((r) => (r.run === 4 ? { ...r, type: 'cosmic' } : r));
    const inputs = selectInputs(byName.get('arich_mask')!, scope, cosmic, files);
    assert.deepEqual(inputs.runs, [1, 2, 3]);
    assert.deepEqual(inputs.excluded[0].failed, ['NOT run_type cosmic']);
  });

  it('when files lie outside the scope, belong to other skims or have no events, then they are not inputs', () => {
    const extra: PlanFile[] = [
      ...files,
      { path: '/d/e12_r9.cdst', skim: 'hlt_bhabha', exp: 12, run: 9, events: 500, size: 1 },
      { path: '/d/e13_r1.cdst', skim: 'hlt_bhabha', exp: 13, run: 1, events: 500, size: 1 },
      { path: '/d/e12_r1_empty.cdst', skim: 'hlt_bhabha', exp: 12, run: 1, events: 0, size: 1 },
    ];
    const inputs = selectInputs(byName.get('ecl_energy')!, scope, runs, extra);
    assert.equal(inputs.files.length, 4);
    const narrow = selectInputs(byName.get('ecl_energy')!, { exp: 12, firstRun: 2, lastRun: 3 }, runs, files);
    assert.deepEqual(narrow.runs, [2, 3]);
  });

  it('when an input has no files or too few events, then it is not enough data, with the reason', () => {
    const noHadron = files.filter((f) => f.skim !== 'hlt_hadron');
    const dedx = byName.get('cdc_dedx')!;
    const j = judgeInputs(dedx, selectInputs(dedx, scope, runs, noHadron));
    assert.equal(j.ok, false);
    assert.match(!j.ok ? j.reason : '', /hlt_hadron/);
    const big = { ...byName.get('ecl_energy')!, minEvents: 10_000 };
    const j2 = judgeInputs(big, selectInputs(big, scope, runs, files));
    assert.match(!j2.ok ? j2.reason : '', /2000 input events, fewer than min_events=10000/);
  });
});

describe('bucket plan', () => {
  it('when every input is there, then all calibrations wait in dependency order', () => {
    const plan = planBucket(defs, scope, runs, files);
    assert.deepEqual(plan.order, ['arich_mask', 'svd_alignment', 'cdc_tracking', 'cdc_dedx', 'ecl_energy', 'klm_efficiency', 'top_time']);
    assert.ok(plan.entries.every((e) => e.stage === 'waiting'));
    const svd = plan.entries.find((e) => e.calibration === 'svd_alignment')!;
    assert.deepEqual(svd.blocksIfFails, ['cdc_tracking', 'cdc_dedx', 'ecl_energy', 'klm_efficiency', 'top_time']);
  });

  it('when the mumu skim is missing, then svd and everything depending on it are affected, arich is not', () => {
    const plan = planBucket(defs, scope, runs, files.filter((f) => f.skim !== 'hlt_mumu_2trk'));
    const stage = Object.fromEntries(plan.entries.map((e) => [e.calibration, e.stage]));
    assert.deepEqual(stage, {
      arich_mask: 'waiting',
      svd_alignment: 'not_enough_data',
      cdc_tracking: 'blocked',
      cdc_dedx: 'blocked',
      ecl_energy: 'blocked',
      klm_efficiency: 'blocked',
      top_time: 'blocked',
    });
    assert.match(plan.entries.find((e) => e.calibration === 'cdc_tracking')!.reason!, /svd_alignment/);
  });
});

describe('tick decisions', () => {
  const mk = (id: number, calibration: string, stage: string) => ({ id, calibration, stage });

  it('when nothing ran yet, then the independent roots start together', () => {
    const rs = defs.map((d, i) => mk(i + 1, d.name, 'waiting'));
    const t = decideTick(dependsOn, rs);
    const started = t.start.map((id) => rs.find((r) => r.id === id)!.calibration).sort();
    assert.deepEqual(started, ['arich_mask', 'svd_alignment']);
  });

  it('when cdc_tracking converged, then its four dependents start in parallel', () => {
    const rs = [mk(1, 'arich_mask', 'running'), mk(2, 'svd_alignment', 'converged'), mk(3, 'cdc_tracking', 'stopped'),
      mk(4, 'cdc_dedx', 'waiting'), mk(5, 'ecl_energy', 'waiting'), mk(6, 'klm_efficiency', 'waiting'), mk(7, 'top_time', 'waiting')];
    assert.deepEqual(decideTick(dependsOn, rs).start, [4, 5, 6, 7]);
  });

  it('when a calibration failed, then only its dependents are blocked', () => {
    const rs = [mk(1, 'arich_mask', 'waiting'), mk(2, 'svd_alignment', 'converged'), mk(3, 'cdc_tracking', 'failed'),
      mk(4, 'cdc_dedx', 'waiting'), mk(5, 'ecl_energy', 'waiting')];
    const t = decideTick(dependsOn, rs);
    assert.deepEqual(t.start, [1]);
    assert.deepEqual(t.block.map((b) => [b.calibration, b.because]), [['cdc_dedx', ['cdc_tracking']], ['ecl_energy', ['cdc_tracking']]]);
  });

  it('when a failed dependency is re-run by a request and converges, then the newest run counts and dependents unblock', () => {
    const rs = [mk(2, 'svd_alignment', 'converged'), mk(3, 'cdc_tracking', 'failed'), mk(5, 'ecl_energy', 'blocked'), mk(9, 'cdc_tracking', 'converged')];
    assert.equal(currentRuns(rs).get('cdc_tracking')!.id, 9);
    assert.deepEqual(decideTick(dependsOn, rs).unblock, [5]);
  });
});

describe('outputs and helpers', () => {
  it('when granularity is bucket, then one open-ended IoV from the first run', () => {
    assert.deepEqual(planIovs('bucket', { exp: 12, firstRun: 5 }, [5, 6, 8]), [{ firstExp: 12, firstRun: 5, finalExp: -1, finalRun: -1 }]);
  });

  it('when granularity is run, then contiguous IoVs per run, no gap, the last open-ended', () => {
    assert.deepEqual(planIovs('run', { exp: 12, firstRun: 5 }, [8, 6, 11]), [
      { firstExp: 12, firstRun: 5, finalExp: 12, finalRun: 7, run: 6 },
      { firstExp: 12, firstRun: 8, finalExp: 12, finalRun: 10, run: 8 },
      { firstExp: 12, firstRun: 11, finalExp: -1, finalRun: -1, run: 11 },
    ]);
  });

  it('when a per-run candidate takes its metrics, then run-keyed entries keep only its run and the rest stays', () => {
    const metrics = {
      values: { '6': 1.01, '8': 0.99 },
      uncertainties: { '6': 0.01, '8': 0.02 },
      mergedRuns: { '6': [6, 7], '8': [8] },
      hadronGain: {},
      constants: { a: 1 },
      runs: [6, 8],
      nEvents: 10,
    };
    assert.deepEqual(metricsOfRun(metrics, 8), {
      values: { '8': 0.99 },
      uncertainties: { '8': 0.02 },
      mergedRuns: { '8': [8] },
      hadronGain: {},
      constants: { a: 1 },
      runs: [6, 8],
      nEvents: 10,
      run: 8,
    });
    // a map keyed by run that lacks this run is kept whole (nothing to cut it down to)
    assert.deepEqual(metricsOfRun({ values: { '6': 1 } }, 9), { values: { '6': 1 }, run: 9 });
  });

  it('when a request overrides expert_config, then its keys win and the others stay', () => {
    assert.deepEqual(mergeExpertConfig({ a: 1, b: 2 }, { b: 3, force_fail: true }), { a: 1, b: 3, force_fail: true });
    assert.deepEqual(mergeExpertConfig({ a: 1 }, null), { a: 1 });
  });

  it('when job keys are made, then they name bucket, calibration, request and iteration', () => {
    assert.equal(calibrationJobKey({ bucket: 'e12_bucket1', calibration: 'ecl_energy', requestId: null, iteration: 0 }), 'calibration/e12_bucket1/ecl_energy/plan/i0');
    assert.equal(calibrationJobKey({ bucket: 'e12_bucket1', calibration: 'ecl_energy', requestId: 7, iteration: 1 }), 'calibration/e12_bucket1/ecl_energy/request7/i1');
  });

  it('when values are compared with the previous payload, then the largest change and pull are reported', () => {
    const c = compareValues({ a: 1.1, b: 2, s: 'x' }, { a: 1, b: 2, s: 'y' }, { a: 0.05 });
    assert.equal(c.compared, 2);
    assert.equal(c.worstKey, 'a');
    assert.ok(Math.abs(c.maxAbsChange! - 0.1) < 1e-12);
    assert.ok(Math.abs(c.maxRelChange! - 0.1) < 1e-12);
    assert.ok(Math.abs(c.maxPull! - 2) < 1e-9);
    assert.equal(compareValues({ a: 1 }, null).compared, 0);
  });
});

describe('readiness for the running update', () => {
  const runsOk = [{ id: 1, calibration: 'svd_alignment', stage: 'converged' }, { id: 2, calibration: 'arich_mask', stage: 'failed' }];
  it('when every payload of the producing calibrations is approved, then the bucket is ready (failed ones keep the old payload)', () => {
    const r = judgeReadiness(runsOk, [{ id: 10, calibrationRunId: 1, state: 'approved', name: 'SVDAlignment' }]);
    assert.deepEqual(r, { ready: true, blockers: [], approved: [10] });
  });
  it('when a candidate is pending or a calibration was rejected, then it is not ready and says why', () => {
    const pending = judgeReadiness(runsOk, [{ id: 10, calibrationRunId: 1, state: 'pending', name: 'SVDAlignment' }]);
    assert.equal(pending.ready, false);
    assert.match(pending.blockers[0], /1 candidate\(s\) pending/);
    const rejected = judgeReadiness([{ id: 1, calibration: 'svd_alignment', stage: 'rejected' }], [{ id: 10, calibrationRunId: 1, state: 'rejected', name: 'SVDAlignment' }]);
    assert.equal(rejected.ready, false);
    assert.match(rejected.blockers.join(), /rejected; waits for a resubmitted request/);
  });
  it('when a newer run replaced a rejected one and its payloads are approved, then it is ready', () => {
    const r = judgeReadiness(
      [{ id: 1, calibration: 'svd_alignment', stage: 'rejected' }, { id: 5, calibration: 'svd_alignment', stage: 'converged' }],
      [{ id: 10, calibrationRunId: 1, state: 'rejected', name: 'SVDAlignment' }, { id: 11, calibrationRunId: 5, state: 'approved', name: 'SVDAlignment' }],
    );
    assert.deepEqual(r.approved, [11]);
    assert.equal(r.ready, true);
  });
  it('when nothing was approved at all, then it is not ready', () => {
    assert.deepEqual(judgeReadiness([{ id: 2, calibration: 'arich_mask', stage: 'failed' }], []).blockers, ['no approved payload']);
  });
});
