// @ts-check
/**
 * klm_strip_efficiency → KLMStripEfficiency: per sector, hits over expected hits of di-muon tracks in the layers the
 * track is expected to cross (extrapolated from the momentum corrected with CDCMomentumScale). Binomial errors;
 * `chi2ndf` measures how stable each sector's efficiency is from run to run.
 */
import { KLM_SECTORS, keys, klmLayersCrossed } from '../detector.mjs';
import { forEachTrack, notEnoughData, popcount, splitFits } from './common.mjs';

/** @type {import('./types.mjs').Algorithm} */
export default {
  name: 'klm_strip_efficiency',
  payload: 'KLMStripEfficiency',
  triggers: ['mumu'],
  iterative: false,
  changeUnit: 'relative',
  defaults: { min_events: 300, min_extrapolated_hits: 25, tolerance: 1e-3 },

  run({ samples, config }) {
    const hits = new Array(KLM_SECTORS).fill(0);
    const expected = new Array(KLM_SECTORS).fill(0);
    /** @type {Map<string, [number, number]>} run/sector → [hits, expected] */
    const perRun = new Map();
    forEachTrack(samples, 'mumu', (trk, s) => {
      if (!trk.klm) return;
      const n = klmLayersCrossed(s.consts.correctedMomentum(trk));
      if (n === 0) return;
      const k = popcount(trk.klm.pat & ((1 << n) - 1));
      hits[trk.klm.s] += k;
      expected[trk.klm.s] += n;
      const key = `${s.run}/${trk.klm.s}`;
      const acc = perRun.get(key) ?? [0, 0];
      acc[0] += k;
      acc[1] += n;
      perRun.set(key, acc);
    });
    /** @type {Record<string, {value: number, error: number}>} */
    const fits = {};
    for (let s = 0; s < KLM_SECTORS; s++) {
      if (expected[s] < config.min_extrapolated_hits) {
        return notEnoughData(`${keys.klmSector(s)} has ${expected[s]} extrapolated hits, fewer than min_extrapolated_hits=${config.min_extrapolated_hits}`);
      }
      const eff = hits[s] / expected[s];
      fits[keys.klmSector(s)] = { value: eff, error: Math.sqrt(Math.max(eff * (1 - eff), 1 / expected[s]) / expected[s]) };
    }
    let chi2 = 0;
    let ndf = 0;
    for (const [key, [k, n]] of perRun) {
      const s = Number(key.split('/')[1]);
      const eff = hits[s] / expected[s];
      const v = (eff * (1 - eff)) / n;
      if (v > 0) {
        chi2 += (k / n - eff) ** 2 / v;
        ndf++;
      }
    }
    ndf -= KLM_SECTORS;
    return {
      ...splitFits(fits),
      nUsed: expected.reduce((a, b) => a + b, 0),
      chi2ndf: ndf > 0 ? chi2 / ndf : null,
      metrics: { extrapolatedHits: Object.fromEntries(expected.map((n, s) => [keys.klmSector(s), n])) },
    };
  },
};
