// @ts-check
/**
 * Calibration constants as reconstruction applies them, read from a local database for one (exp, run). A payload
 * absent from the database falls back to the nominal value (scale 1, offset 0, ...) and is reported as missing, so
 * that an algorithm run without its dependencies is visibly biased rather than broken.
 */
import { SAGITTA_PER_UM, SVD_SENSORS, keys } from './detector.mjs';

export class RunConstants {
  /**
   * @param {import('./localdb.mjs').LocalDb} db @param {number} exp @param {number} run
   */
  constructor(db, exp, run) {
    this.exp = exp;
    this.run = run;
    /** @type {Record<string, number>} payload name → revision, for the payloads found */
    this.used = {};
    /** @type {Set<string>} */
    this.missing = new Set();
    this.db = db;
    /** @type {Map<string, any>} */
    this.memo = new Map();
    /** @type {number[]|null|undefined} */
    this.offsetsMemo = undefined;
  }

  /** @param {string} name @returns {any|null} payload JSON */
  payload(name) {
    if (this.memo.has(name)) return this.memo.get(name);
    const p = this.db.get(name, this.exp, this.run);
    this.memo.set(name, p ? p.payload : null);
    if (!p) {
      this.missing.add(name);
      return null;
    }
    this.used[name] = p.revision;
    return p.payload;
  }

  /** @param {string} name @param {string} key @param {number} nominal */
  value(name, key, nominal) {
    const p = this.payload(name);
    const v = p?.values?.[key];
    return typeof v === 'number' ? v : nominal;
  }

  get momentumScale() {
    return this.value('CDCMomentumScale', 'scale', 1);
  }

  /** SVD sensor offsets in µm, by sensor index, or null without an SVDAlignment payload. */
  get svdOffsets() {
    if (this.offsetsMemo !== undefined) return this.offsetsMemo;
    const p = this.payload('SVDAlignment');
    this.offsetsMemo = p ? SVD_SENSORS.map((s) => (typeof p.values[keys.svdSensor(s)] === 'number' ? p.values[keys.svdSensor(s)] : 0)) : null;
    return this.offsetsMemo;
  }

  /**
   * Momentum corrected for the SVD sagitta bias (when the track has SVD hits and alignment is known) and, unless
   * `scale` is false (the momentum-scale calibration itself), for the CDC momentum scale.
   * @param {{ q: number, p: number, svd?: number[][] }} trk @param {{ scale?: boolean }} [opts]
   */
  correctedMomentum(trk, opts = {}) {
    let p = trk.p;
    const offsets = trk.svd ? this.svdOffsets : null;
    if (offsets && trk.svd) {
      let d = 0;
      for (const [sensor] of trk.svd) d += offsets[sensor] / trk.svd.length;
      p = 1 / (1 / p - trk.q * SAGITTA_PER_UM * d);
    }
    return opts.scale === false ? p : p / this.momentumScale;
  }

  /** @param {number} group */
  eclScale(group) {
    return this.value('ECLCrystalEnergyScale', keys.eclGroup(group), 1);
  }

  /** @param {number} module */
  topT0(module) {
    return this.value('TOPModuleT0', keys.topModule(module), 0);
  }

  /** @param {number} sector */
  klmEfficiency(sector) {
    return this.value('KLMStripEfficiency', keys.klmSector(sector), 1);
  }

  /**
   * The run's dE/dx gain: the payload's value for this run, else the nearest earlier run it holds, else its first run
   * (a per-run payload read beyond its bucket), else 1.
   */
  get dedxGain() {
    const p = this.payload('CDCdEdxRunGain');
    if (!p) return 1;
    const runs = Object.keys(p.values).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
    if (runs.length === 0) return 1;
    let best = runs[0];
    for (const r of runs) if (r <= this.run) best = r;
    return p.values[String(best)];
  }

  /** @returns {Set<number>} masked ARICH channels */
  get arichMask() {
    const p = this.payload('ARICHChannelMask');
    return new Set(Array.isArray(p?.maskedChannels) ? p.maskedChannels : []);
  }
}

/** One RunConstants per (exp, run), shared by the files of a run. */
export class ConstantsCache {
  /** @param {import('./localdb.mjs').LocalDb} db */
  constructor(db) {
    this.db = db;
    /** @type {Map<string, RunConstants>} */
    this.byRun = new Map();
  }

  /** @param {number} exp @param {number} run */
  get(exp, run) {
    const k = `${exp}/${run}`;
    let c = this.byRun.get(k);
    if (!c) {
      c = new RunConstants(this.db, exp, run);
      this.byRun.set(k, c);
    }
    return c;
  }

  /** Payload revisions used by any run. @returns {Record<string, number[]>} */
  usedRevisions() {
    /** @type {Record<string, Set<number>>} */
    const acc = {};
    for (const c of this.byRun.values()) {
      for (const [name, rev] of Object.entries(c.used)) (acc[name] ??= new Set()).add(rev);
    }
    return Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, [...v].sort((a, b) => a - b)]));
  }
}
