// @ts-check
/**
 * ecl_energy_scale → ECLCrystalEnergyScale: per crystal group, the peak of E/p of Bhabha electrons, where E is the
 * uncalibrated cluster energy and p the track momentum corrected with CDCMomentumScale from --localdb (without it the
 * scale comes out biased by 1/momentum-scale).
 *
 * Iterative: the mean is taken in a window of ±window around the previous iteration's estimate (the payload in
 * --localdb, or the median, on the first iteration), which keeps the radiative/leakage tail out. Each iteration
 * re-centres the window; the estimate converges to the peak and the outcome is `converged` once it moves less than
 * `tolerance` (relative).
 */
import { keys, ECL_GROUPS } from '../detector.mjs';
import { gaussianChi2, median, sigmaFromTruncatedRms, windowedMean } from '../stats.mjs';
import { forEachTrack, notEnoughData, splitFits } from './common.mjs';

/** @type {import('./types.mjs').Algorithm} */
export default {
  name: 'ecl_energy_scale',
  payload: 'ECLCrystalEnergyScale',
  triggers: ['bhabha'],
  iterative: true,
  changeUnit: 'relative',
  defaults: { min_events: 1000, min_entries_per_crystal: 20, window: 0.05, tolerance: 5e-4 },

  run({ samples, centre, config }) {
    /** @type {number[][]} */
    const ratios = Array.from({ length: ECL_GROUPS }, () => []);
    forEachTrack(samples, 'bhabha', (trk, s) => {
      if (trk.e === undefined) return;
      ratios[trk.g].push(trk.e / s.consts.correctedMomentum(trk));
    });
    /** @type {Record<string, {value: number, error: number}>} */
    const fits = {};
    /** @type {Record<string, number>} */
    const resolution = {};
    /** @type {Record<string, number>} */
    const entries = {};
    let chi2 = 0;
    let ndf = 0;
    let nUsed = 0;
    for (let g = 0; g < ECL_GROUPS; g++) {
      const key = keys.eclGroup(g);
      const xs = ratios[g];
      entries[key] = xs.length;
      if (xs.length < config.min_entries_per_crystal) {
        return notEnoughData(`${key} has ${xs.length} electrons, fewer than min_entries_per_crystal=${config.min_entries_per_crystal}`);
      }
      const c = centre?.[key] ?? median(xs);
      const w = windowedMean(xs, c, config.window);
      if (w.n < 2) {
        return notEnoughData(`${key}: no E/p entries within ±${config.window} of ${c}`);
      }
      fits[key] = { value: w.mean, error: w.error };
      nUsed += w.n;
      const sigma = sigmaFromTruncatedRms(w.rms, config.window);
      resolution[key] = Math.round((sigma / w.mean) * 1e5) / 1e5;
      const g2 = gaussianChi2(xs, w.mean, sigma, c - config.window, c + config.window);
      chi2 += g2.chi2;
      ndf += g2.ndf;
    }
    return {
      ...splitFits(fits),
      nUsed,
      chi2ndf: ndf ? chi2 / ndf : null,
      metrics: { entries, resolution },
    };
  },
};
