// @ts-check
/**
 * "Reconstruction" from raw to cDST objects: ECL crystals are summed into clusters, clusters matched to tracks are
 * attached to them, everything else is passed through as measured (no calibration constant is applied here: the
 * algorithms apply the constants of the payloads they depend on).
 *
 * cDST event: { trg, trk: [{ q, p, dedx, e?, g?, svd?, top?, klm? }], gam: [{ e, g }], arich? }
 *   e: matched cluster energy (GeV), g: its ECL group, gam: clusters without a track.
 */
import { eclGroupOf, round } from './detector.mjs';

/** @param {any} raw @returns {any} */
export function reconstructEvent(raw) {
  const trk = raw.trk.map((/** @type {any} */ t) => ({ ...t }));
  const gam = [];
  for (const cl of raw.ecl ?? []) {
    let e = 0;
    let seed = cl.c[0][0];
    let seedE = -Infinity;
    for (const [crystal, energy] of cl.c) {
      e += energy;
      if (energy > seedE) { seedE = energy; seed = crystal; }
    }
    const rec = { e: round(e, 5), g: eclGroupOf(seed) };
    if (cl.t >= 0 && trk[cl.t]) Object.assign(trk[cl.t], rec);
    else gam.push(rec);
  }
  /** @type {any} */
  const out = { trg: raw.trg, trk, gam };
  if (raw.arich) out.arich = raw.arich;
  return out;
}
