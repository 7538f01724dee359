// @ts-check
/**
 * cdc_dedx_gain → CDCdEdxRunGain, one gain per run (values keyed by run number): the truncated mean of the dE/dx of
 * Bhabha electrons (plateau = 1 by definition), dropping the lowest truncation_low and highest truncation_high
 * fractions and correcting for the shift this gives a Gaussian. Electrons are tracks with 0.7 < E/p < 1.3 and
 * p > 2 GeV, p corrected with CDCMomentumScale. A run with fewer than min_tracks_per_run electrons is merged with its
 * neighbours (previous first) until the merged set has enough; the result is reported for each run of the set.
 *
 * Cross-check on hadronic events: pions near minimum ionisation (0.4 < p < 0.7 GeV) divided by the expected curve
 * value give an independent gain per run; `chi2ndf` is the electron/pion consistency.
 */
import { MASS, dedxCurve } from '../detector.mjs';
import { clippedMean, truncatedMean } from '../stats.mjs';
import { forEachTrack, notEnoughData, splitFits } from './common.mjs';

/** @type {import('./types.mjs').Algorithm} */
export default {
  name: 'cdc_dedx_gain',
  payload: 'CDCdEdxRunGain',
  triggers: ['bhabha', 'hadron'],
  iterative: false,
  changeUnit: 'relative',
  defaults: { min_events: 500, min_tracks_per_run: 1000, truncation_low: 0.05, truncation_high: 0.25, tolerance: 1e-3 },

  run({ samples, config }) {
    /** @type {Map<number, number[]>} */
    const electrons = new Map();
    /** @type {Map<number, number[]>} */
    const pions = new Map();
    for (const s of samples) {
      if (!electrons.has(s.run)) electrons.set(s.run, []);
      if (!pions.has(s.run)) pions.set(s.run, []);
    }
    forEachTrack(samples, 'bhabha', (trk, s) => {
      if (trk.e === undefined) return;
      const p = s.consts.correctedMomentum(trk);
      const eop = trk.e / p;
      if (p > 2 && eop > 0.7 && eop < 1.3) electrons.get(s.run)?.push(trk.dedx);
    });
    forEachTrack(samples, 'hadron', (trk, s) => {
      const p = s.consts.correctedMomentum(trk);
      if (p > 0.4 && p < 0.7) pions.get(s.run)?.push(trk.dedx / dedxCurve(p / MASS.pi));
    });
    const runs = [...electrons.keys()].sort((a, b) => a - b);
    const total = runs.reduce((n, r) => n + (electrons.get(r)?.length ?? 0), 0);
    if (total < config.min_tracks_per_run) {
      return notEnoughData(`${total} electron tracks in all, fewer than min_tracks_per_run=${config.min_tracks_per_run}`, total);
    }
    /** @type {Record<string, {value: number, error: number}>} */
    const fits = {};
    /** @type {Record<string, number[]>} */
    const merged = {};
    /** @type {Record<string, number>} */
    const hadronGain = {};
    let chi2 = 0;
    let ndf = 0;
    for (let i = 0; i < runs.length; i++) {
      const set = mergeNeighbours(runs, i, (r) => electrons.get(r)?.length ?? 0, config.min_tracks_per_run);
      const xs = set.flatMap((r) => electrons.get(r) ?? []);
      const t = truncatedMean(xs, config.truncation_low, config.truncation_high);
      fits[String(runs[i])] = { value: t.mean, error: t.error };
      if (set.length > 1) merged[String(runs[i])] = set;
      const pi = pions.get(runs[i]) ?? [];
      if (pi.length >= 50) {
        const h = clippedMean(pi, 2.5);
        hadronGain[String(runs[i])] = Math.round(h.mean * 1e5) / 1e5;
        chi2 += (h.mean - t.mean) ** 2 / (h.error ** 2 + t.error ** 2);
        ndf++;
      }
    }
    return {
      ...splitFits(fits),
      nUsed: total,
      chi2ndf: ndf ? chi2 / ndf : null,
      metrics: { electronsPerRun: Object.fromEntries(runs.map((r) => [String(r), electrons.get(r)?.length ?? 0])), mergedRuns: merged, hadronGain },
    };
  },
};

/**
 * Runs around runs[i] merged until `count` reaches `min`: previous neighbours first, then following ones.
 * @param {number[]} runs @param {number} i @param {(run: number) => number} count @param {number} min
 */
function mergeNeighbours(runs, i, count, min) {
  const set = [runs[i]];
  let n = count(runs[i]);
  let lo = i - 1;
  let hi = i + 1;
  while (n < min && (lo >= 0 || hi < runs.length)) {
    const r = lo >= 0 ? runs[lo--] : runs[hi++];
    set.push(r);
    n += count(r);
  }
  return set.sort((a, b) => a - b);
}
