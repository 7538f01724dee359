import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { b2sim, b2simOk, iterate, makeTempDir, pulls, truth, truthAverage, writeLocalDb } from './toolkit.helpers.ts';

const EXP = 12;
const RUNS = [20, 21, 22, 23];

describe('toolkit calibrate: dependencies, iterations, outcomes', () => {
  const tmp = makeTempDir();
  const raw = RUNS.map((r) => join(tmp.dir, 'raw', `e${EXP}_r${r}_f0.b2raw`));
  const cdst: Record<string, string[]> = { hlt_bhabha: [], hlt_mumu_2trk: [], hlt_hadron: [] };
  const common = { exp: EXP, firstRun: RUNS[0] };
  let cdcPayload = '';
  let cdcDb = '';

  before(async () => {
    await b2simOk(['daq', '--exp', EXP, '--first-run', RUNS[0], '--last-run', RUNS[3], '--files-per-run', 1,
      '--events-per-file', 5000, '--seed', 5, '--raw-dir', join(tmp.dir, 'raw'), '--runlist-dir', join(tmp.dir, 'runlists')]);
    // The real chain for the calibration inputs: raw → skim → cDST.
    for (const [i, run] of RUNS.entries()) {
      for (const skim of Object.keys(cdst)) {
        const skimFile = join(tmp.dir, 'skim', `r${run}_${skim}.b2skim`);
        await b2simOk(['skim', '--input', raw[i], '--skim', skim, '--output', skimFile]);
        const out = join(tmp.dir, 'cdst', `r${run}_${skim}.b2cdst`);
        await b2simOk(['cdst', '--input', skimFile, '--output', out]);
        cdst[skim].push(out);
      }
    }
    const cdc = await b2simOk(['calibrate', '--algorithm', 'cdc_momentum_scale', '--input', cdst.hlt_mumu_2trk.join(','),
      '--output-dir', join(tmp.dir, 'cdc', 'iter_0'), '--iteration', 0, '--exp', EXP, '--first-run', RUNS[0]]);
    cdcPayload = cdc.payloads[0].file;
    cdcDb = writeLocalDb(join(tmp.dir, 'db-cdc'), [{ name: 'CDCMomentumScale', revision: 3, iov: [EXP, 0, EXP, -1], file: cdcPayload }]);
  });
  after(() => tmp.cleanup());

  test('when ECL runs with CDCMomentumScale in the local database, then it is unbiased; without it, biased by 1/scale', async () => {
    const ecl = await truthAverage(EXP, RUNS, 'ECLCrystalEnergyScale');
    const withCdc = await iterate({ ...common, algorithm: 'ecl_energy_scale', inputs: cdst.hlt_bhabha, dir: join(tmp.dir, 'ecl-cdc'), localdb: cdcDb });
    const without = await iterate({ ...common, algorithm: 'ecl_energy_scale', inputs: cdst.hlt_bhabha, dir: join(tmp.dir, 'ecl-nocdc') });
    assert.equal(withCdc.last.outcome, 'converged');
    assert.equal(without.last.outcome, 'converged');
    assert.deepEqual(withCdc.last.metrics.conditions.used, { CDCMomentumScale: [3] });
    assert.deepEqual(without.last.metrics.conditions.missing, ['CDCMomentumScale']);

    const good = Object.values(pulls(withCdc.last, ecl));
    const bad = Object.values(pulls(without.last, ecl));
    for (const p of good) assert.ok(Math.abs(p) < 3, `with CDC: pull ${p.toFixed(2)}`);
    const meanBad = bad.reduce((a, b) => a + b, 0) / bad.length;
    assert.ok(meanBad < -3, `without CDC the scales come out low: mean pull ${meanBad.toFixed(2)}`);

    const scale = JSON.parse(readFileSync(cdcPayload, 'utf8')).values.scale;
    for (const [k, v] of Object.entries<number>(without.last.metrics.values)) {
      const ratio = v / withCdc.last.metrics.values[k];
      assert.ok(Math.abs(ratio * scale - 1) < 3e-4, `${k}: ratio ${ratio} vs 1/scale ${1 / scale}`);
    }
  });

  test('when ECL and TOP iterate, then each iteration re-centres on the previous one until the change is below tolerance', async () => {
    for (const algorithm of ['ecl_energy_scale', 'top_module_t0']) {
      const dir = join(tmp.dir, `iter-${algorithm}`);
      const { outcomes, last } = await iterate({ ...common, algorithm, inputs: cdst.hlt_mumu_2trk.concat(cdst.hlt_bhabha), dir, localdb: cdcDb });
      assert.equal(outcomes[0], 'iterate');
      assert.equal(outcomes[outcomes.length - 1], 'converged');
      assert.ok(outcomes.length <= 5, outcomes.join(','));
      assert.ok(last.metrics.iterationChange < last.metrics.tolerance);
      assert.equal(last.metrics.centreSource, 'previous_iteration');
      for (let i = 0; i < outcomes.length; i++) {
        const onDisk = JSON.parse(readFileSync(join(dir, `iter_${i}`, 'result.json'), 'utf8'));
        assert.equal(onDisk.outcome, outcomes[i]);
        assert.equal(onDisk.metrics.iteration, i);
        assert.ok(existsSync(onDisk.payloads[0].file), 'every iteration writes its payload');
      }
      const first = JSON.parse(readFileSync(join(dir, 'iter_0', 'result.json'), 'utf8'));
      assert.equal(first.metrics.centreSource, 'data');
      assert.equal(first.metrics.iterationChange, null);
    }
  });

  test('when the previous iteration is given with --previous, then it is used instead of ../iter_<N-1>', async () => {
    const a = await b2simOk(['calibrate', '--algorithm', 'top_module_t0', '--input', cdst.hlt_mumu_2trk.join(','),
      '--output-dir', join(tmp.dir, 'prev-a'), '--iteration', 0, '--exp', EXP, '--first-run', RUNS[0]]);
    assert.equal(a.outcome, 'iterate');
    const b = await b2simOk(['calibrate', '--algorithm', 'top_module_t0', '--input', cdst.hlt_mumu_2trk.join(','),
      '--output-dir', join(tmp.dir, 'elsewhere', 'run7'), '--iteration', 1, '--exp', EXP, '--first-run', RUNS[0],
      '--previous', join(tmp.dir, 'prev-a', 'result.json')]);
    assert.equal(b.metrics.centreSource, 'previous_iteration');
    assert.ok(b.metrics.iterationChange !== null);
    const missing = await b2sim(['calibrate', '--algorithm', 'top_module_t0', '--input', cdst.hlt_mumu_2trk.join(','),
      '--output-dir', join(tmp.dir, 'elsewhere', 'iter_3'), '--iteration', 3, '--exp', EXP, '--first-run', RUNS[0]]);
    assert.equal(missing.code, 0);
    assert.match(missing.stderr, /iter_2.*does not exist/);
    assert.equal(missing.summary.metrics.centreSource, 'data');
  });

  test('when the local database holds last bucket\'s payload, then iteration 0 starts from it and reports the change', async () => {
    const ref = await iterate({ ...common, algorithm: 'ecl_energy_scale', inputs: cdst.hlt_bhabha, dir: join(tmp.dir, 'ecl-ref'), localdb: cdcDb });
    const db = writeLocalDb(join(tmp.dir, 'db-prior'), [
      { name: 'CDCMomentumScale', revision: 3, iov: [EXP, 0, -1, -1], file: cdcPayload },
      { name: 'ECLCrystalEnergyScale', revision: 8, iov: [EXP, 1, -1, -1], file: ref.last.payloads[0].file },
    ]);
    const r = await b2simOk(['calibrate', '--algorithm', 'ecl_energy_scale', '--input', cdst.hlt_bhabha.join(','),
      '--output-dir', join(tmp.dir, 'ecl-prior', 'iter_0'), '--iteration', 0, '--exp', EXP, '--first-run', RUNS[0], '--localdb', db]);
    assert.equal(r.outcome, 'converged', 'the previous payload is already the fixed point');
    assert.equal(r.metrics.centreSource, 'localdb');
    assert.equal(r.metrics.previousRevision, 8);
    assert.ok(r.metrics.change < 1e-4);

    const shifted = writeLocalDb(join(tmp.dir, 'db-klm'), [{ name: 'KLMStripEfficiency', revision: 2, iov: [0, 0, -1, -1],
      values: Object.fromEntries(Array.from({ length: 16 }, (_, s) => [`sector${String(s).padStart(2, '0')}`, 0.5])) }]);
    const klm = await b2simOk(['calibrate', '--algorithm', 'klm_strip_efficiency', '--input', cdst.hlt_mumu_2trk.join(','),
      '--output-dir', join(tmp.dir, 'klm-change'), '--iteration', 0, '--exp', EXP, '--first-run', RUNS[0], '--localdb', shifted]);
    const maxEff = Math.max(...Object.values<number>(klm.metrics.values));
    assert.equal(klm.metrics.changeUnit, 'relative');
    assert.ok(Math.abs(klm.metrics.change - (maxEff / 0.5 - 1)) < 1e-3);
  });

  test('when the input is tiny or min_events is not met, then the outcome is not_enough_data with exit 0 and no payload', async () => {
    const tiny = join(tmp.dir, 'tiny.b2raw');
    await b2simOk(['generate', '--exp', EXP, '--run', 20, '--events', 200, '--seed', 1, '--output', tiny]);
    const algorithms = ['svd_alignment', 'cdc_momentum_scale', 'cdc_dedx_gain', 'ecl_energy_scale', 'top_module_t0', 'klm_strip_efficiency', 'arich_channel_mask'];
    for (const algorithm of algorithms) {
      const dir = join(tmp.dir, 'tiny', algorithm);
      const r = await b2sim(['calibrate', '--algorithm', algorithm, '--input', tiny, '--output-dir', dir, '--iteration', 0, '--exp', EXP, '--first-run', 20]);
      assert.equal(r.code, 0, algorithm);
      assert.equal(r.summary.outcome, 'not_enough_data', algorithm);
      assert.deepEqual(r.summary.payloads, []);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')), r.summary);
    }
    const strict = await b2simOk(['calibrate', '--algorithm', 'top_module_t0', '--input', cdst.hlt_mumu_2trk.join(','),
      '--output-dir', join(tmp.dir, 'strict'), '--exp', EXP, '--first-run', RUNS[0], '--expert-config', '{"min_tracks_per_module": 100000}']);
    assert.equal(strict.outcome, 'not_enough_data');
    assert.match(strict.metrics.reason, /min_tracks_per_module/);
    const emptyList = join(tmp.dir, 'empty.list');
    writeFileSync(emptyList, '');
    const none = await b2simOk(['calibrate', '--algorithm', 'svd_alignment', '--input-list', emptyList,
      '--output-dir', join(tmp.dir, 'none'), '--exp', EXP, '--first-run', RUNS[0]]);
    assert.equal(none.outcome, 'not_enough_data');
  });

  test('when expert_config.force_fail is set, then the calibration fails with exit 1 and says so in result.json', async () => {
    const dir = join(tmp.dir, 'fail');
    const r = await b2sim(['calibrate', '--algorithm', 'cdc_dedx_gain', '--input', cdst.hlt_bhabha.join(','), '--output-dir', dir,
      '--iteration', 0, '--exp', EXP, '--first-run', RUNS[0], '--expert-config', '{"force_fail": true}']);
    assert.equal(r.code, 1);
    assert.equal(r.summary.outcome, 'failed');
    assert.equal(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).outcome, 'failed');
  });

  test('when every algorithm runs on its inputs from an input list, then each writes a well-formed payload that matches the truth', async () => {
    const inputsOf: Record<string, string[]> = {
      svd_alignment: cdst.hlt_mumu_2trk, cdc_momentum_scale: cdst.hlt_mumu_2trk, top_module_t0: cdst.hlt_mumu_2trk,
      klm_strip_efficiency: cdst.hlt_mumu_2trk, cdc_dedx_gain: cdst.hlt_bhabha.concat(cdst.hlt_hadron),
      ecl_energy_scale: cdst.hlt_bhabha, arich_channel_mask: cdst.hlt_hadron,
    };
    const out: Record<string, any> = {};
    for (const [algorithm, inputs] of Object.entries(inputsOf)) {
      const list = join(tmp.dir, `${algorithm}.list`);
      writeFileSync(list, `${inputs.join('\n')}\n`);
      const dir = join(tmp.dir, 'all', algorithm, 'iter_0');
      const r = await b2simOk(['calibrate', '--algorithm', algorithm, '--input-list', list, '--output-dir', dir, '--iteration', 0,
        '--exp', EXP, '--first-run', RUNS[0], '--localdb', cdcDb, '--expert-config', '{}']);
      assert.ok(['converged', 'iterate'].includes(r.outcome), `${algorithm}: ${r.outcome}`);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')), r);
      const payload = JSON.parse(readFileSync(r.payloads[0].file, 'utf8'));
      assert.equal(payload.name, r.payloads[0].name);
      assert.equal(payload.algorithm, algorithm);
      assert.equal(payload.iteration, 0);
      assert.equal(payload.nEvents, r.metrics.nEvents);
      assert.deepEqual(Object.keys(payload.uncertainties).sort(), Object.keys(payload.values).sort());
      for (const k of ['nEvents', 'values', 'uncertainties', 'chi2ndf', 'change']) assert.ok(k in r.metrics, `${algorithm} metrics.${k}`);
      assert.ok(r.metrics.chi2ndf > 0.3 && r.metrics.chi2ndf < 3, `${algorithm} chi2/ndf ${r.metrics.chi2ndf}`);
      out[algorithm] = r;
    }
    assert.deepEqual(Object.keys(out.cdc_dedx_gain.metrics.values), RUNS.map(String), 'one gain per run');
    for (const [algorithm, payload] of [['svd_alignment', 'SVDAlignment'], ['klm_strip_efficiency', 'KLMStripEfficiency']]) {
      for (const [k, p] of Object.entries(pulls(out[algorithm], await truthAverage(EXP, RUNS, payload)))) {
        assert.ok(Math.abs(p) < 4, `${payload}.${k}: pull ${p.toFixed(2)}`);
      }
    }
    const arichTruth = (await truth(EXP, RUNS[3])).constants.ARICHChannelMask;
    const mask = JSON.parse(readFileSync(out.arich_channel_mask.payloads[0].file, 'utf8')).maskedChannels;
    assert.deepEqual(mask, [...arichTruth.deadChannels, ...arichTruth.hotChannels].sort((a: number, b: number) => a - b));
  });
});
