// @ts-check
/**
 * cdc_momentum_scale → CDCMomentumScale: the di-muon invariant mass of e+e- → μ+μ- events over √s. Events within
 * ±mass_window_gev of √s (no hard radiation) are kept and the Gaussian core is found by a 3σ clipped mean. Momenta
 * are corrected for the SVD sagitta bias with SVDAlignment from --localdb when present; the μ+/μ- peaks are also
 * measured separately, their difference (`chargeAsymmetry`) shows what is left of the misalignment.
 */
import { E_BEAM, MASS, SQRT_S } from '../detector.mjs';
import { clippedMean, gaussianChi2 } from '../stats.mjs';
import { notEnoughData, roundPair } from './common.mjs';

/** @type {import('./types.mjs').Algorithm} */
export default {
  name: 'cdc_momentum_scale',
  payload: 'CDCMomentumScale',
  triggers: ['mumu'],
  iterative: false,
  changeUnit: 'relative',
  defaults: { min_events: 300, mass_window_gev: 0.5, tolerance: 1e-4 },

  run({ samples, config }) {
    const ratios = [];
    /** @type {{ q: number, r: number }[]} */
    const single = [];
    let svdCorrected = false;
    for (const s of samples) {
      if (s.consts.svdOffsets) svdCorrected = true;
      for (const ev of s.events) {
        if (!ev.trg.includes('mumu') || ev.trk.length !== 2) continue;
        const [a, b] = ev.trk;
        const pa = s.consts.correctedMomentum(a, { scale: false });
        const pb = s.consts.correctedMomentum(b, { scale: false });
        // Back-to-back in the CM frame: M² = (Ea + Eb)² − (pa − pb)².
        const ea = Math.hypot(pa, MASS.mu);
        const eb = Math.hypot(pb, MASS.mu);
        const m = Math.sqrt((ea + eb) ** 2 - (pa - pb) ** 2);
        if (Math.abs(m - SQRT_S) > config.mass_window_gev) continue;
        ratios.push(m / SQRT_S);
        single.push({ q: a.q, r: pa / E_BEAM }, { q: b.q, r: pb / E_BEAM });
      }
    }
    if (ratios.length < 20) {
      return notEnoughData(`${ratios.length} di-muon events within ±${config.mass_window_gev} GeV of √s`, ratios.length);
    }
    const fit = clippedMean(ratios, 3);
    const g2 = gaussianChi2(ratios, fit.mean, fit.sigma, fit.lo, fit.hi);
    const plus = clippedMean(single.filter((x) => x.q > 0).map((x) => x.r), 3);
    const minus = clippedMean(single.filter((x) => x.q < 0).map((x) => x.r), 3);
    const r = roundPair(fit.mean, fit.error);
    return {
      values: { scale: r.value },
      uncertainties: { scale: r.error },
      nUsed: fit.n,
      chi2ndf: g2.chi2 / g2.ndf,
      metrics: {
        relativeMassResolution: Math.round(fit.sigma * 1e6) / 1e6,
        chargeAsymmetry: Math.round(((plus.mean - minus.mean) / 2) * 1e6) / 1e6,
        svdCorrected,
      },
    };
  },
};
