// @ts-check
/** Helpers shared by the algorithms. */
import { round } from '../detector.mjs';

/**
 * Calls fn for every track of every sample's events that fired `trigger`.
 * @param {import('./types.mjs').Sample[]} samples @param {string} trigger
 * @param {(trk: any, sample: import('./types.mjs').Sample, ev: any) => void} fn
 */
export function forEachTrack(samples, trigger, fn) {
  for (const s of samples) {
    for (const ev of s.events) {
      if (!ev.trg.includes(trigger)) continue;
      for (const trk of ev.trk) fn(trk, s, ev);
    }
  }
}

/**
 * The output of an algorithm that cannot calibrate with the data it got.
 * @param {string} reason @param {number} [nUsed]
 * @returns {import('./types.mjs').AlgorithmOutput}
 */
export function notEnoughData(reason, nUsed = 0) {
  return { values: {}, uncertainties: {}, nUsed, chi2ndf: null, notEnoughData: reason };
}

/**
 * Rounds values and uncertainties to a fixed number of significant digits of the uncertainty (plus two), so payload
 * bytes are stable and not falsely precise.
 * @param {number} value @param {number} error
 */
export function roundPair(value, error) {
  if (!(error > 0) || !Number.isFinite(error)) return { value: round(value, 8), error: 0 };
  const digits = Math.max(0, Math.min(10, 2 - Math.floor(Math.log10(error)) + 1));
  return { value: round(value, digits), error: round(error, digits) };
}

/**
 * @param {Record<string, {value: number, error: number}>} fits
 * @returns {{ values: Record<string, number>, uncertainties: Record<string, number> }}
 */
export function splitFits(fits) {
  /** @type {Record<string, number>} */
  const values = {};
  /** @type {Record<string, number>} */
  const uncertainties = {};
  for (const [k, f] of Object.entries(fits)) {
    const r = roundPair(f.value, f.error);
    values[k] = r.value;
    uncertainties[k] = r.error;
  }
  return { values, uncertainties };
}

/** @param {number} x */
export function popcount(x) {
  let n = 0;
  while (x) {
    x &= x - 1;
    n++;
  }
  return n;
}
