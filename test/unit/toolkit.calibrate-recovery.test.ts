/**
 * The core algorithms must recover the generator's true constants within the uncertainty they report. Each seed is a
 * fresh 4-run data set (5,000 events per run); the estimate is compared with the truth averaged over the runs. Pulls
 * are statistical, so the seeds are fixed (the toolkit is deterministic); the last test checks that the reported
 * uncertainties are honest (pull RMS near 1), so a pass cannot come from inflated errors.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { b2simOk, iterate, makeTempDir, pulls, truthAverage, writeLocalDb } from './toolkit.helpers.ts';

const EXP = 12;
const RUNS = [10, 11, 12, 13];
const SEEDS = [1, 2, 3];

interface SeedResult {
  seed: number;
  pulls: Record<string, Record<string, number>>;
  iterations: Record<string, string[]>;
}

describe('toolkit calibrate: recovery of the true constants', () => {
  const tmp = makeTempDir();
  const results: SeedResult[] = [];

  before(async () => {
    for (const seed of SEEDS) {
      const dir = join(tmp.dir, `seed${seed}`);
      await b2simOk(['daq', '--exp', EXP, '--first-run', RUNS[0], '--last-run', RUNS[RUNS.length - 1], '--files-per-run', 1,
        '--events-per-file', 5000, '--seed', seed, '--raw-dir', join(dir, 'raw'), '--runlist-dir', join(dir, 'runlists')]);
      const inputs = RUNS.map((r) => join(dir, 'raw', `e${EXP}_r${r}_f0.b2raw`));
      const common = { inputs, exp: EXP, firstRun: RUNS[0] };
      const r: SeedResult = { seed, pulls: {}, iterations: {} };

      // Dependency order as in docs/contracts.md: SVD → CDC scale → (dE/dx, ECL, TOP), each reading the local database.
      const svd = await iterate({ ...common, algorithm: 'svd_alignment', dir: join(dir, 'svd') });
      const db = join(dir, 'localdb');
      writeLocalDb(db, [{ name: 'SVDAlignment', revision: 1, iov: [EXP, RUNS[0], -1, -1], file: svd.last.payloads[0].file }]);
      const cdc = await iterate({ ...common, algorithm: 'cdc_momentum_scale', dir: join(dir, 'cdc'), localdb: db });
      writeLocalDb(db, [
        { name: 'SVDAlignment', revision: 1, iov: [EXP, RUNS[0], -1, -1], file: svd.last.payloads[0].file },
        { name: 'CDCMomentumScale', revision: 1, iov: [EXP, RUNS[0], -1, -1], file: cdc.last.payloads[0].file },
      ]);
      r.pulls.CDCMomentumScale = pulls(cdc.last, await truthAverage(EXP, RUNS, 'CDCMomentumScale'));

      const dedx = await iterate({ ...common, algorithm: 'cdc_dedx_gain', dir: join(dir, 'dedx'), localdb: db });
      const gains: Record<string, number> = {};
      for (const run of RUNS) Object.assign(gains, await truthAverage(EXP, [run], 'CDCdEdxRunGain'));
      r.pulls.CDCdEdxRunGain = pulls(dedx.last, gains);

      for (const [algorithm, payload] of [['ecl_energy_scale', 'ECLCrystalEnergyScale'], ['top_module_t0', 'TOPModuleT0']]) {
        const it = await iterate({ ...common, algorithm, dir: join(dir, algorithm), localdb: db });
        r.iterations[algorithm] = it.outcomes;
        assert.equal(it.last.outcome, 'converged', `${algorithm} seed ${seed}: ${it.outcomes.join(',')}`);
        r.pulls[payload] = pulls(it.last, await truthAverage(EXP, RUNS, payload));
      }
      results.push(r);
    }
  });
  after(() => tmp.cleanup());

  for (const payload of ['CDCMomentumScale', 'CDCdEdxRunGain', 'ECLCrystalEnergyScale', 'TOPModuleT0']) {
    test(`when ${payload} is calibrated on three seeds, then every constant is within 3σ of the truth`, () => {
      for (const r of results) {
        const p = r.pulls[payload];
        assert.ok(Object.keys(p).length > 0);
        for (const [key, pull] of Object.entries(p)) {
          assert.ok(Number.isFinite(pull) && Math.abs(pull) < 3, `seed ${r.seed} ${payload}.${key}: pull ${pull.toFixed(2)}`);
        }
      }
    });
  }

  test('when ECL and TOP iterate from the data, then they converge within a few iterations', () => {
    for (const r of results) {
      for (const outcomes of Object.values(r.iterations)) {
        assert.ok(outcomes.length >= 2 && outcomes.length <= 4, outcomes.join(','));
        assert.equal(outcomes[0], 'iterate', 'the first iteration has nothing to compare with');
      }
    }
  });

  test('when all pulls are pooled, then their RMS is near 1 (uncertainties are neither inflated nor too small)', () => {
    const all = results.flatMap((r) => Object.values(r.pulls).flatMap((p) => Object.values(p)));
    const rms = Math.sqrt(all.reduce((a, x) => a + x * x, 0) / all.length);
    assert.ok(all.length >= 80, `${all.length} pulls`);
    assert.ok(rms > 0.6 && rms < 1.4, `pull RMS ${rms.toFixed(2)} over ${all.length} constants`);
  });
});
