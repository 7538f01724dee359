// @ts-check
/**
 * The generator's true constants: deterministic functions of (exp, run), independent of the simulation seed. Each is a
 * per-experiment static value (hashed from the experiment number) plus a slow drift with the run number, so that
 * consecutive buckets need slightly different payloads. The shapes match the payloads' `values`, so an algorithm's
 * output can be compared with `truth` key by key.
 */
import { Rng } from './rng.mjs';
import {
  ARICH_CHANNELS, ECL_GROUPS, KLM_SECTORS, SVD_SENSORS, TOP_MODULES, keys, round,
} from './detector.mjs';

const TWO_PI = 2 * Math.PI;

/** A uniform number in [0, 1) fixed by the name parts (not by the simulation seed). @param {...(string|number)} parts */
function fixed(...parts) {
  return Rng.from('truth', ...parts).uniform();
}

/** @param {number} exp @param {number} run */
export function cdcMomentumScale(exp, run) {
  // Always a little above 1 (a known 0.1-0.3 % B-field mismatch), drifting slowly.
  return 1.002 + 0.001 * Math.sin((TWO_PI * run) / 160 + TWO_PI * fixed(exp, 'cdc'));
}

/** @param {number} exp @param {number} run */
export function dedxGain(exp, run) {
  // Gas gain follows pressure/temperature: a slow oscillation plus run-to-run jitter; stays within 0.9-1.1.
  return 1 + 0.06 * Math.sin((TWO_PI * run) / 50 + TWO_PI * fixed(exp, 'dedx')) + 0.03 * (2 * fixed(exp, 'dedx', run) - 1);
}

/** @param {number} exp @param {number} run @param {number} group */
export function eclScale(exp, run, group) {
  return 0.96 + 0.075 * fixed(exp, 'ecl', group) + 0.005 * Math.sin((TWO_PI * run) / 300 + TWO_PI * fixed(exp, 'ecl-phase', group));
}

/** Module T0 in ns; module numbers 1..16. @param {number} exp @param {number} run @param {number} module */
export function topT0(exp, run, module) {
  return 0.27 * (2 * fixed(exp, 'top', module) - 1) + 0.02 * Math.sin((TWO_PI * run) / 200 + TWO_PI * fixed(exp, 'top-phase', module));
}

/** Sensor offset along u, µm. @param {number} exp @param {number} run @param {string} sensor */
export function svdOffset(exp, run, sensor) {
  return 20 * (2 * fixed(exp, 'svd', sensor) - 1) + 1.5 * Math.sin((TWO_PI * run) / 250 + TWO_PI * fixed(exp, 'svd-phase', sensor));
}

/** Strip efficiency per sector, slowly degrading. @param {number} exp @param {number} run @param {number} sector */
export function klmEfficiency(exp, run, sector) {
  const eff = 0.99 - 0.12 * fixed(exp, 'klm', sector) - 0.00002 * run;
  return Math.min(0.99, Math.max(0.85, eff));
}

/**
 * Run from which an ARICH channel is dead (channels die and stay dead within an experiment): 2 % are dead from the
 * start, the others die at a rate of about one channel per 20 runs over the whole detector.
 * @param {number} exp @param {number} channel
 */
function arichDeathRun(exp, channel) {
  if (fixed(exp, 'arich-dead', channel) < 0.02) return 0;
  return Math.floor(-Math.log(1 - fixed(exp, 'arich-death', channel)) * 20 * ARICH_CHANNELS);
}

/** Two noisy channels per experiment. @param {number} exp @returns {number[]} */
export function arichHotChannels(exp) {
  const a = Math.floor(fixed(exp, 'arich-hot', 0) * ARICH_CHANNELS);
  let b = Math.floor(fixed(exp, 'arich-hot', 1) * ARICH_CHANNELS);
  if (b === a) b = (a + 97) % ARICH_CHANNELS;
  return [a, b].sort((x, y) => x - y);
}

/** @param {number} exp @param {number} run @returns {number[]} */
export function arichDeadChannels(exp, run) {
  const dead = [];
  for (let c = 0; c < ARICH_CHANNELS; c++) if (arichDeathRun(exp, c) <= run) dead.push(c);
  return dead;
}

/**
 * Every true constant for one run, shaped like the payloads' values (plus the ARICH channel lists).
 * @param {number} exp @param {number} run
 */
export function trueConstants(exp, run) {
  /** @type {Record<string, number>} */
  const ecl = {};
  for (let g = 0; g < ECL_GROUPS; g++) ecl[keys.eclGroup(g)] = round(eclScale(exp, run, g), 6);
  /** @type {Record<string, number>} */
  const top = {};
  for (let m = 1; m <= TOP_MODULES; m++) top[keys.topModule(m)] = round(topT0(exp, run, m), 5);
  /** @type {Record<string, number>} */
  const svd = {};
  for (const s of SVD_SENSORS) svd[keys.svdSensor(s)] = round(svdOffset(exp, run, s), 3);
  /** @type {Record<string, number>} */
  const klm = {};
  for (let s = 0; s < KLM_SECTORS; s++) klm[keys.klmSector(s)] = round(klmEfficiency(exp, run, s), 5);
  const dead = arichDeadChannels(exp, run);
  const hot = arichHotChannels(exp).filter((c) => !dead.includes(c));
  const masked = [...new Set([...dead, ...hot])].sort((x, y) => x - y);
  return {
    SVDAlignment: svd,
    CDCMomentumScale: { scale: round(cdcMomentumScale(exp, run), 7) },
    CDCdEdxRunGain: { [String(run)]: round(dedxGain(exp, run), 6) },
    ECLCrystalEnergyScale: ecl,
    TOPModuleT0: top,
    KLMStripEfficiency: klm,
    ARICHChannelMask: {
      deadFraction: round(dead.length / ARICH_CHANNELS, 6),
      hotFraction: round(hot.length / ARICH_CHANNELS, 6),
      nMasked: masked.length,
      deadChannels: dead,
      hotChannels: hot,
    },
  };
}
