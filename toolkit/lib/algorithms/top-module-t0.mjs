// @ts-check
/**
 * top_module_t0 → TOPModuleT0: per TOP module, the offset of photon arrival times from the expected muon time of
 * flight (computed from the momentum corrected with CDCMomentumScale/SVDAlignment from --localdb).
 *
 * Iterative: photon times sit on a flat background; the mean is taken in a ±window_ns window around the previous
 * iteration's estimate (the payload in --localdb, or the median, first). The background inside the window pulls the
 * mean towards the window's centre, so each iteration moves the estimate a fraction of the remaining distance to the
 * peak; `converged` once the largest move is below `tolerance` ns.
 */
import { MASS, TOP_MODULES, keys, timeOfFlight } from '../detector.mjs';
import { gaussianChi2, median, sigmaFromTruncatedRms, windowedMean } from '../stats.mjs';
import { forEachTrack, notEnoughData, splitFits } from './common.mjs';

/** @type {import('./types.mjs').Algorithm} */
export default {
  name: 'top_module_t0',
  payload: 'TOPModuleT0',
  triggers: ['mumu'],
  iterative: true,
  changeUnit: 'ns',
  defaults: { min_events: 500, min_tracks_per_module: 100, window_ns: 0.5, tolerance: 0.001 },

  run({ samples, centre, config }) {
    /** @type {number[][]} */
    const dt = Array.from({ length: TOP_MODULES + 1 }, () => []);
    const tracks = new Array(TOP_MODULES + 1).fill(0);
    forEachTrack(samples, 'mumu', (trk, s) => {
      if (!trk.top) return;
      const tof = timeOfFlight(s.consts.correctedMomentum(trk), MASS.mu, trk.top.L);
      tracks[trk.top.m]++;
      for (const t of trk.top.h) dt[trk.top.m].push(t - tof);
    });
    /** @type {Record<string, {value: number, error: number}>} */
    const fits = {};
    /** @type {Record<string, number>} */
    const perModule = {};
    let chi2 = 0;
    let ndf = 0;
    let nUsed = 0;
    const half = config.window_ns;
    for (let m = 1; m <= TOP_MODULES; m++) {
      const key = keys.topModule(m);
      perModule[key] = tracks[m];
      if (tracks[m] < config.min_tracks_per_module) {
        return notEnoughData(`${key} has ${tracks[m]} muon tracks, fewer than min_tracks_per_module=${config.min_tracks_per_module}`);
      }
      const xs = dt[m];
      const c = centre?.[key] ?? median(xs);
      const w = windowedMean(xs, c, half);
      fits[key] = { value: w.mean, error: w.error };
      nUsed += w.n;
      // Flat background level from the sidebands 1.5-4.5 ns away from the peak.
      let side = 0;
      for (const x of xs) if (Math.abs(x - c) > 1.5 && Math.abs(x - c) < 4.5) side++;
      const background = side / 6;
      // Signal width: the window's variance minus that of the flat background in it (half²/3 about the centre).
      const bIn = Math.min(background * 2 * half, 0.9 * w.n);
      const sigVar = (w.n * w.rms ** 2 - (bIn * half * half) / 3) / (w.n - bIn);
      const sigma = sigmaFromTruncatedRms(Math.sqrt(Math.max(1e-6, sigVar)), half);
      const g2 = gaussianChi2(xs, w.mean, Math.min(sigma, half), c - half, c + half, { background });
      chi2 += g2.chi2;
      ndf += g2.ndf;
    }
    return { ...splitFits(fits), nUsed, chi2ndf: ndf ? chi2 / ndf : null, metrics: { tracksPerModule: perModule } };
  },
};
