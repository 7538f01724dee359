// @ts-check
/**
 * svd_alignment → SVDAlignment: per sensor, the offset along u (µm) as the 3σ clipped mean of the di-muon track
 * residuals (hits minus prediction of the nominal geometry); outlier hits are cut away by the clipping. With
 * fix_layer_3 the layer-3 sensors are the reference and keep their previous value (payload in --localdb, else 0).
 */
import { SVD_SENSORS, keys } from '../detector.mjs';
import { clippedMean, gaussianChi2 } from '../stats.mjs';
import { notEnoughData, splitFits } from './common.mjs';

/** @type {import('./types.mjs').Algorithm} */
export default {
  name: 'svd_alignment',
  payload: 'SVDAlignment',
  triggers: ['mumu'],
  iterative: false,
  changeUnit: 'um',
  defaults: { min_events: 300, min_tracks_per_sensor: 50, fix_layer_3: false, tolerance: 0.5 },

  run({ samples, config, previousPayload }) {
    /** @type {number[][]} */
    const residuals = SVD_SENSORS.map(() => []);
    for (const s of samples) {
      for (const ev of s.events) {
        if (!ev.trg.includes('mumu')) continue;
        for (const trk of ev.trk) for (const [sensor, r] of trk.svd ?? []) residuals[sensor].push(r);
      }
    }
    /** @type {Record<string, {value: number, error: number}>} */
    const fits = {};
    /** @type {Record<string, number>} */
    const tracks = {};
    const fixed = [];
    let chi2 = 0;
    let ndf = 0;
    let nUsed = 0;
    for (let i = 0; i < SVD_SENSORS.length; i++) {
      const key = keys.svdSensor(SVD_SENSORS[i]);
      tracks[key] = residuals[i].length;
      if (config.fix_layer_3 && SVD_SENSORS[i].startsWith('L3.')) {
        const prev = previousPayload?.values?.[key];
        fits[key] = { value: typeof prev === 'number' ? prev : 0, error: 0 };
        fixed.push(key);
        continue;
      }
      if (residuals[i].length < config.min_tracks_per_sensor) {
        return notEnoughData(`${key} has ${residuals[i].length} tracks, fewer than min_tracks_per_sensor=${config.min_tracks_per_sensor}`);
      }
      const fit = clippedMean(residuals[i], 3);
      fits[key] = { value: fit.mean, error: fit.error };
      nUsed += fit.n;
      const g2 = gaussianChi2(residuals[i], fit.mean, fit.sigma, fit.lo, fit.hi);
      chi2 += g2.chi2;
      ndf += g2.ndf;
    }
    return { ...splitFits(fits), nUsed, chi2ndf: ndf ? chi2 / ndf : null, metrics: { tracksPerSensor: tracks, fixed } };
  },
};
