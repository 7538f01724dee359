// @ts-check
/**
 * The event generator: raw events whose measured quantities are the true ones distorted by the true constants of the
 * run (lib/truth.mjs) and by resolution noise. Momenta are centre-of-mass momenta.
 *
 * Raw event (one JSON object per line of a b2raw file):
 *   { trg: ["bhabha"|"mumu"|"gamma_gamma"|"hadron"] | [],
 *     trk: [{ q, p, dedx, svd?: [[sensorIndex, residual_um], ...], top?: { m, L, h: [photon times, ns] },
 *             klm?: { s, pat } }],
 *     ecl: [{ t: matched track index or -1, c: [[crystal, energy_GeV], ...] }],
 *     arich?: [fired channels] }
 */
import {
  ARICH_CHANNELS, E_BEAM, ECL_CRYSTALS_PER_GROUP, ECL_GROUPS, KLM_SECTORS, MASS, SAGITTA_PER_UM, SVD_LAYERS,
  SVD_SENSORS, TOP_MODULES, dedxCurve, klmLayersCrossed, round, timeOfFlight,
} from './detector.mjs';
import {
  arichDeadChannels, arichHotChannels, cdcMomentumScale, dedxGain, eclScale, klmEfficiency, svdOffset, topT0,
} from './truth.mjs';

/** Event type fractions ("other" fires none of the calibration trigger lines). */
export const EVENT_FRACTIONS = Object.freeze({ bhabha: 0.4, hadron: 0.2, mumu: 0.15, gamma_gamma: 0.1, other: 0.15 });

/** Resolutions and background levels of the toy detector (known to the generator only). */
const RES = Object.freeze({
  beamSpread: 0.001, // relative, common to both particles of an event
  momentum: 0.004, // relative
  dedx: 0.07, // relative
  eclEnergy: 0.02, // relative
  svdHit: 12, // µm
  svdOutlier: 0.03, // fraction of hits, uniform in ±300 µm
  topPhoton: 0.1, // ns
  topSignalPhotons: 6, // mean, plus one
  topBackgroundPhotons: 4, // mean, uniform in [-8, 12] ns around the time of flight
});
/** Relative weight of the ECL polar-angle groups (endcaps see fewer Bhabha electrons in this toy). */
const ECL_GROUP_WEIGHTS = [0.08, 0.12, 0.16, 0.16, 0.16, 0.14, 0.1, 0.08];

/**
 * The true constants of one run, unrounded, as the generator uses them.
 * @param {number} exp @param {number} run
 */
export function runConditions(exp, run) {
  return {
    momentumScale: cdcMomentumScale(exp, run),
    dedxGain: dedxGain(exp, run),
    ecl: Array.from({ length: ECL_GROUPS }, (_, g) => eclScale(exp, run, g)),
    topT0: Array.from({ length: TOP_MODULES + 1 }, (_, m) => (m === 0 ? 0 : topT0(exp, run, m))),
    svd: SVD_SENSORS.map((s) => svdOffset(exp, run, s)),
    klm: Array.from({ length: KLM_SECTORS }, (_, s) => klmEfficiency(exp, run, s)),
    arichDead: new Set(arichDeadChannels(exp, run)),
    arichHot: arichHotChannels(exp),
  };
}
/** @typedef {ReturnType<typeof runConditions>} RunConditions */
/** @typedef {import('./rng.mjs').Rng} Rng */

/**
 * @param {Rng} rng @param {RunConditions} cond
 * @returns {object} one raw event
 */
export function generateEvent(rng, cond) {
  const u = rng.uniform();
  let acc = 0;
  for (const [type, frac] of Object.entries(EVENT_FRACTIONS)) {
    acc += frac;
    if (u < acc) return GENERATORS[type](rng, cond);
  }
  return GENERATORS.other(rng, cond);
}

/** @type {Record<string, (rng: Rng, cond: RunConditions) => object>} */
const GENERATORS = {
  bhabha(rng, cond) {
    const beam = E_BEAM * (1 + RES.beamSpread * rng.gauss());
    const trk = [];
    const ecl = [];
    for (const q of [1, -1]) {
      const pTrue = beam * (rng.bernoulli(0.2) ? 1 - rng.range(0.05, 0.5) : 1); // final-state radiation
      trk.push(track(rng, cond, q, pTrue, MASS.e));
      const leak = rng.bernoulli(0.15) ? rng.range(0.15, 0.5) : 0; // shower leakage
      ecl.push(cluster(rng, cond, trk.length - 1, pTrue * (1 - leak)));
    }
    return { trg: ['bhabha'], trk, ecl };
  },

  mumu(rng, cond) {
    const beam = E_BEAM * (1 + RES.beamSpread * rng.gauss());
    const isr = rng.bernoulli(0.1) ? rng.range(0.05, 0.4) : 0; // hard initial-state radiation
    const trk = [];
    for (const q of [1, -1]) {
      const energy = beam * (1 - isr);
      const pTrue = Math.sqrt(energy * energy - MASS.mu * MASS.mu);
      // One sensor per SVD layer; the mean offset of the crossed sensors bends the fitted track (sagitta bias).
      const svd = [];
      let meanOffset = 0;
      for (let l = 0; l < SVD_LAYERS.length; l++) {
        const sensor = 2 * l + rng.int(2);
        const du = cond.svd[sensor];
        meanOffset += du / SVD_LAYERS.length;
        const res = rng.bernoulli(RES.svdOutlier) ? rng.range(-300, 300) : du + RES.svdHit * rng.gauss();
        svd.push([sensor, round(res, 2)]);
      }
      const pScaled = pTrue * cond.momentumScale * (1 + RES.momentum * rng.gauss());
      const p = 1 / (1 / pScaled + q * SAGITTA_PER_UM * meanOffset);
      const module = 1 + rng.int(TOP_MODULES);
      const length = 120 + 80 * rng.uniform();
      const tof = timeOfFlight(pTrue, MASS.mu, length);
      const times = [];
      const nSignal = 1 + rng.poisson(RES.topSignalPhotons);
      for (let i = 0; i < nSignal; i++) times.push(tof + cond.topT0[module] + RES.topPhoton * rng.gauss());
      const nBackground = rng.poisson(RES.topBackgroundPhotons);
      for (let i = 0; i < nBackground; i++) times.push(tof + rng.range(-8, 12));
      times.sort((a, b) => a - b);
      const sector = rng.int(KLM_SECTORS);
      const crossed = klmLayersCrossed(pTrue);
      let pat = 0;
      for (let l = 0; l < crossed; l++) if (rng.bernoulli(cond.klm[sector])) pat |= 1 << l;
      trk.push({
        q,
        p: round(p, 5),
        dedx: round(cond.dedxGain * dedxCurve(pTrue / MASS.mu) * (1 + RES.dedx * rng.gauss()), 4),
        svd,
        top: { m: module, L: round(length, 2), h: times.map((t) => round(t, 3)) },
        klm: { s: sector, pat },
      });
    }
    return { trg: ['mumu'], trk, ecl: [] };
  },

  gamma_gamma(rng, cond) {
    const beam = E_BEAM * (1 + RES.beamSpread * rng.gauss());
    const ecl = [];
    for (let i = 0; i < 2; i++) {
      const leak = rng.bernoulli(0.1) ? rng.range(0.15, 0.5) : 0;
      ecl.push(cluster(rng, cond, -1, beam * (1 - leak)));
    }
    return { trg: ['gamma_gamma'], trk: [], ecl };
  },

  hadron(rng, cond) {
    const n = Math.min(12, 2 + rng.poisson(4));
    const trk = [];
    /** @type {Set<number>} */
    const fired = new Set();
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      const mass = u < 0.7 ? MASS.pi : u < 0.9 ? MASS.K : MASS.p;
      const pTrue = Math.min(4.5, 0.15 + rng.exponential(0.7));
      trk.push(track(rng, cond, rng.bernoulli(0.5) ? 1 : -1, pTrue, mass));
      if (pTrue > 0.6 && rng.bernoulli(0.3)) {
        // Cherenkov ring: photons on channels around the track's impact point; dead channels see nothing.
        const centre = rng.int(ARICH_CHANNELS);
        const nPhotons = rng.poisson(8);
        for (let k = 0; k < nPhotons; k++) {
          const ch = (centre + Math.round(4 * rng.gauss()) + ARICH_CHANNELS) % ARICH_CHANNELS;
          if (!cond.arichDead.has(ch)) fired.add(ch);
        }
      }
    }
    for (const ch of cond.arichHot) if (!cond.arichDead.has(ch) && rng.bernoulli(0.5)) fired.add(ch);
    const ecl = [];
    const nNeutral = rng.poisson(1.5);
    for (let i = 0; i < nNeutral; i++) ecl.push(cluster(rng, cond, -1, 0.05 + rng.exponential(0.3)));
    return { trg: ['hadron'], trk, ecl, arich: [...fired].sort((a, b) => a - b) };
  },

  other(rng, cond) {
    const trk = [];
    for (const q of [1, -1]) trk.push(track(rng, cond, q, rng.range(0.5, 4), MASS.pi));
    return { trg: [], trk, ecl: [] };
  },
};

/** A track without SVD/TOP/KLM information. @param {Rng} rng @param {RunConditions} cond @param {number} q @param {number} pTrue @param {number} mass */
function track(rng, cond, q, pTrue, mass) {
  return {
    q,
    p: round(pTrue * cond.momentumScale * (1 + RES.momentum * rng.gauss()), 5),
    dedx: round(cond.dedxGain * dedxCurve(pTrue / mass) * (1 + RES.dedx * rng.gauss()), 4),
  };
}

/**
 * An ECL cluster of three neighbouring crystals of one group holding 75/15/10 % of the measured energy.
 * @param {Rng} rng @param {RunConditions} cond @param {number} t matched track or -1 @param {number} eTrue
 */
function cluster(rng, cond, t, eTrue) {
  let u = rng.uniform();
  let group = 0;
  while (group < ECL_GROUPS - 1 && u >= ECL_GROUP_WEIGHTS[group]) u -= ECL_GROUP_WEIGHTS[group++];
  const first = group * ECL_CRYSTALS_PER_GROUP;
  const seed = first + 1 + rng.int(ECL_CRYSTALS_PER_GROUP - 2);
  const e = eTrue * cond.ecl[group] * (1 + RES.eclEnergy * rng.gauss());
  return { t, c: [[seed, round(0.75 * e, 5)], [seed - 1, round(0.15 * e, 5)], [seed + 1, round(0.1 * e, 5)]] };
}
