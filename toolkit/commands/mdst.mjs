// @ts-check
/**
 * `mdst --input F,... --output FILE --localdb DIR --exp E --run R`: final objects with every calibration applied
 * from --localdb (conditions resolved for (E, R)): momenta, energies, dE/dx, TOP times corrected; masked ARICH
 * channels dropped. The summary's `validation` shows how well the constants did (peaks at 1 or 0 when calibrated).
 */
import { basename, resolve } from 'node:path';
import { Flags } from '../lib/args.mjs';
import { RunConstants } from '../lib/conditions.mjs';
import { MASS, PAYLOADS, SQRT_S, round, timeOfFlight } from '../lib/detector.mjs';
import { UsageError } from '../lib/errors.mjs';
import { FORMAT, readAsCdst, singleRun, writeDataFile } from '../lib/fileio.mjs';
import { LocalDb } from '../lib/localdb.mjs';
import { clippedMean, windowedMean } from '../lib/stats.mjs';

/** @param {string[]} argv */
export async function run(argv) {
  const f = new Flags('mdst', argv, {
    input: 'string', 'input-list': 'string', output: 'string', localdb: 'string', exp: 'string', run: 'string',
  });
  const output = resolve(f.string('output'));
  const exp = f.int('exp');
  const runNo = f.int('run');
  const db = LocalDb.open(f.string('localdb'));
  const inputs = f.inputs().map((p) => readAsCdst(p, [FORMAT.cdst, FORMAT.skim, FORMAT.raw]));
  const r = singleRun(inputs);
  if (r.exp !== exp || r.run !== runNo) {
    throw new UsageError(`mdst: inputs are e${r.exp} r${r.run}, not --exp ${exp} --run ${runNo}`);
  }
  const c = new RunConstants(db, exp, runNo);
  for (const name of PAYLOADS) c.payload(name);
  const gain = c.dedxGain;
  const mask = c.arichMask;

  /** @type {number[]} */
  const eop = [];
  /** @type {number[]} */
  const mass = [];
  /** @type {number[]} */
  const dedxE = [];
  /** @type {Map<number, number[]>} module → corrected photon time residuals */
  const topResidual = new Map();
  const events = [];
  let eventsIn = 0;
  for (const file of inputs) {
    for (const ev of file.events) {
      eventsIn++;
      const trk = ev.trk.map((/** @type {any} */ t) => {
        const p = c.correctedMomentum(t);
        /** @type {Record<string, number>} */
        const o = { q: t.q, p: round(p, 5), dedx: round(t.dedx / gain, 4) };
        if (t.e !== undefined) {
          o.e = round(t.e / c.eclScale(t.g), 5);
          o.eop = round(o.e / p, 4);
          if (ev.trg.includes('bhabha')) {
            eop.push(o.eop);
            if (o.eop > 0.7 && o.eop < 1.3) dedxE.push(o.dedx);
          }
        }
        if (t.top) {
          const tof = timeOfFlight(p, MASS.mu, t.top.L);
          const res = t.top.h.map((/** @type {number} */ h) => h - tof - c.topT0(t.top.m));
          const w = windowedMean(res, 0, 0.5);
          if (w.n > 0) o.t = round(w.mean, 4);
          let list = topResidual.get(t.top.m);
          if (!list) topResidual.set(t.top.m, (list = []));
          list.push(...res);
        }
        return o;
      });
      if (ev.trg.includes('mumu') && trk.length === 2) {
        const [a, b] = trk;
        const m = Math.sqrt((Math.hypot(a.p, MASS.mu) + Math.hypot(b.p, MASS.mu)) ** 2 - (a.p - b.p) ** 2);
        if (Math.abs(m - SQRT_S) < 0.5) mass.push(m / SQRT_S);
      }
      /** @type {any} */
      const out = { trg: ev.trg, trk, gam: ev.gam.map((/** @type {any} */ g) => ({ e: round(g.e / c.eclScale(g.g), 5), g: g.g })) };
      if (ev.arich) out.arich = ev.arich.filter((/** @type {number} */ ch) => !mask.has(ch)).length;
      events.push(out);
    }
  }
  const conditions = c.used;
  const header = { format: FORMAT.mdst, exp, run: runNo, events: events.length, inputs: inputs.map((i) => basename(i.path)), conditions };
  const size = writeDataFile(output, header, events);
  /** @param {number[]} xs @param {number} digits */
  const peak = (xs, digits) => (xs.length >= 20 ? round(clippedMean(xs, 2.5).mean, digits) : null);
  return {
    summary: {
      exp, run: runNo, eventsIn, eventsOut: events.length, outputs: [{ path: output, size, events: events.length }], conditions,
      missing: [...c.missing].sort(),
      validation: {
        eOverPPeak: peak(eop, 5), mumuMassOverSqrtS: peak(mass, 6), electronDedx: peak(dedxE, 4),
        topModuleT0SpreadNs: moduleSpread(topResidual),
      },
    },
  };
}

/**
 * RMS over TOP modules of the mean corrected photon time residual (±1 ns around 0): ~0 when T0s are calibrated.
 * @param {Map<number, number[]>} byModule
 */
function moduleSpread(byModule) {
  const means = [];
  for (const xs of byModule.values()) {
    const w = windowedMean(xs, 0, 1);
    if (w.n >= 20) means.push(w.mean);
  }
  if (means.length === 0) return null;
  return round(Math.sqrt(means.reduce((a, m) => a + m * m, 0) / means.length), 4);
}
