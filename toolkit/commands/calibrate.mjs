// @ts-check
/**
 * `calibrate --algorithm A --input F,...|--input-list FILE --output-dir DIR --iteration N --exp E --first-run R
 *  [--localdb DIR] [--expert-config JSON] [--previous FILE]`
 *
 * Runs one iteration of one algorithm (lib/algorithms/) on cDST (or skim/raw) inputs and writes DIR/<Payload>.json
 * and DIR/result.json; prints the result. Iteration N of an iterative algorithm starts from iteration N−1's estimate,
 * read from DIR/../iter_<N−1>/result.json (or --previous FILE); see docs/contracts.md.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ALGORITHMS } from '../lib/algorithms/index.mjs';
import { Flags } from '../lib/args.mjs';
import { ConstantsCache } from '../lib/conditions.mjs';
import { EXIT, InputError, UsageError } from '../lib/errors.mjs';
import { FORMAT, readAsCdst, writeAtomic } from '../lib/fileio.mjs';
import { EMPTY_DB, LocalDb } from '../lib/localdb.mjs';
import { validationSvg } from '../lib/validation-plot.mjs';

/** @param {string[]} argv */
export async function run(argv) {
  const f = new Flags('calibrate', argv, {
    algorithm: 'string', input: 'string', 'input-list': 'string', 'output-dir': 'string', iteration: 'string',
    exp: 'string', 'first-run': 'string', localdb: 'string', 'expert-config': 'string', previous: 'string',
  });
  const name = f.string('algorithm');
  const algo = ALGORITHMS[name];
  if (!algo) throw new UsageError(`calibrate: unknown algorithm "${name}" (known: ${Object.keys(ALGORITHMS).join(', ')})`);
  const outputDir = resolve(f.string('output-dir'));
  const iteration = f.int('iteration', 0);
  const exp = f.int('exp');
  const firstRun = f.int('first-run');
  if (iteration < 0) throw new UsageError('calibrate: --iteration must be >= 0');
  const config = { ...algo.defaults, ...parseExpertConfig(f.optString('expert-config')) };
  mkdirSync(outputDir, { recursive: true });

  /** @param {'converged'|'iterate'|'not_enough_data'|'failed'} outcome @param {{name: string, file: string}[]} payloads @param {Record<string, unknown>} metrics @param {number} [exitCode] */
  const finish = (outcome, payloads, metrics, exitCode = EXIT.OK) => {
    const result = { outcome, payloads, metrics: { algorithm: name, iteration, ...metrics } };
    writeAtomic(join(outputDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    return { summary: result, exitCode };
  };

  if (config.force_fail === true) {
    process.stderr.write(`calibrate: ${name} failing on purpose (expert_config.force_fail)\n`);
    return finish('failed', [], { reason: 'expert_config.force_fail' }, EXIT.SOFTWARE);
  }

  const db = f.optString('localdb') ? LocalDb.open(/** @type {string} */ (f.optString('localdb'))) : EMPTY_DB;
  const cache = new ConstantsCache(db);
  const samples = [];
  let nEvents = 0;
  for (const path of f.inputs({ allowEmpty: true })) {
    const file = readAsCdst(path, [FORMAT.cdst, FORMAT.skim, FORMAT.raw], { triggers: algo.triggers });
    if (file.header.exp !== exp) {
      throw new UsageError(`calibrate: ${path} is from experiment ${file.header.exp}, not --exp ${exp}`);
    }
    const events = file.events;
    nEvents += events.length;
    samples.push({ exp, run: file.header.run, path, events, consts: cache.get(exp, file.header.run) });
  }
  const runs = [...new Set(samples.map((s) => s.run))].sort((a, b) => a - b);

  if (nEvents < config.min_events) {
    return finish('not_enough_data', [], {
      nEvents, minEvents: config.min_events, runs, reason: `${nEvents} ${algo.triggers.join('/')} events, fewer than min_events=${config.min_events}`,
    });
  }

  const previousPayload = db.get(algo.payload, exp, firstRun);
  const previousIteration = algo.iterative ? loadPreviousIteration(outputDir, iteration, f.optString('previous')) : null;
  const centre = previousIteration?.values ?? previousPayload?.payload.values ?? null;
  const centreSource = previousIteration ? 'previous_iteration' : previousPayload ? 'localdb' : 'data';

  const out = algo.run({
    exp, firstRun, iteration, config, samples, nEvents, centre: algo.iterative ? centre : null,
    previousPayload: previousPayload?.payload ?? null,
  });
  const conditions = { used: cache.usedRevisions(), missing: missingConditions(cache, algo.payload) };
  if (out.notEnoughData) {
    return finish('not_enough_data', [], { nEvents, minEvents: config.min_events, runs, reason: out.notEnoughData, conditions });
  }

  const change = changeFrom(out, previousPayload?.payload ?? null, algo.changeUnit);
  let iterationChange = null;
  let outcome = /** @type {'converged'|'iterate'} */ ('converged');
  if (algo.iterative) {
    iterationChange = centre && centreSource !== 'data' ? changeFrom(out, { values: centre }, algo.changeUnit).change : null;
    outcome = iterationChange !== null && iterationChange < config.tolerance ? 'converged' : 'iterate';
  }

  const payloadFile = join(outputDir, `${algo.payload}.json`);
  const payload = {
    name: algo.payload, values: out.values, uncertainties: out.uncertainties, algorithm: name, iteration, nEvents,
    ...(out.extra ?? {}),
  };
  writeAtomic(payloadFile, `${JSON.stringify(payload, null, 2)}\n`);
  writeAtomic(join(outputDir, 'validation.svg'), validationSvg(`${algo.payload} — ${name}, iteration ${iteration}, exp ${exp} run ${firstRun}`, out.values, out.uncertainties));
  return finish(outcome, [{ name: algo.payload, file: payloadFile }], {
    nEvents,
    nUsed: out.nUsed,
    runs,
    values: out.values,
    uncertainties: out.uncertainties,
    chi2ndf: out.chi2ndf === null ? null : Math.round(out.chi2ndf * 1000) / 1000,
    ...(Object.keys(out.values).length === 1 ? { value: Object.values(out.values)[0], uncertainty: Object.values(out.uncertainties)[0] } : {}),
    change: change.change,
    changeSignificance: change.significance,
    changeUnit: algo.changeUnit,
    previousRevision: previousPayload?.revision ?? null,
    iterationChange,
    tolerance: config.tolerance,
    centreSource: algo.iterative ? centreSource : null,
    conditions,
    ...(out.metrics ?? {}),
  });
}

/** @param {string|undefined} text */
function parseExpertConfig(text) {
  if (!text) return {};
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    throw new UsageError(`calibrate: --expert-config is not valid JSON: ${text.slice(0, 200)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError('calibrate: --expert-config must be a JSON object');
  return v;
}

/**
 * @param {string} outputDir @param {number} iteration @param {string|undefined} explicit
 * @returns {{ path: string, values: Record<string, number> } | null}
 */
function loadPreviousIteration(outputDir, iteration, explicit) {
  const path = explicit ? resolve(explicit) : iteration > 0 ? join(dirname(outputDir), `iter_${iteration - 1}`, 'result.json') : null;
  if (!path) return null;
  if (!existsSync(path)) {
    if (explicit) throw new InputError(`${path}: previous result not found`);
    process.stderr.write(`calibrate: warning: iteration ${iteration} but ${path} does not exist; starting from the payload in --localdb or the data\n`);
    return null;
  }
  let result;
  try {
    result = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new InputError(`${path}: previous result is not JSON`);
  }
  const values = result?.metrics?.values;
  if (!values || typeof values !== 'object') {
    process.stderr.write(`calibrate: warning: ${path} holds no estimate (outcome ${result?.outcome}); starting afresh\n`);
    return null;
  }
  return { path, values };
}

/**
 * Largest change of any value against a reference payload: relative for scale-like constants, absolute (ns, µm) for
 * offsets, number of channels changing mask status for masks. Per-run payloads without common runs compare means.
 * @param {import('../lib/algorithms/types.mjs').AlgorithmOutput} out @param {any|null} ref
 * @param {'relative'|'ns'|'um'|'channels'} unit
 * @returns {{ change: number|null, significance: number|null }}
 */
function changeFrom(out, ref, unit) {
  if (!ref?.values) return { change: null, significance: null };
  if (unit === 'channels') {
    const before = new Set(Array.isArray(ref.maskedChannels) ? ref.maskedChannels : []);
    const after = new Set(/** @type {number[]} */ (out.extra?.maskedChannels ?? []));
    let n = 0;
    for (const c of before) if (!after.has(c)) n++;
    for (const c of after) if (!before.has(c)) n++;
    return { change: n, significance: null };
  }
  const common = Object.keys(out.values).filter((k) => typeof ref.values[k] === 'number');
  /** @type {[number, number, number][]} new, old, error */
  let pairs = common.map((k) => [out.values[k], ref.values[k], out.uncertainties[k]]);
  if (pairs.length === 0) {
    const mean = (/** @type {Record<string, unknown>} */ o) => {
      const xs = Object.values(o).filter((v) => typeof v === 'number');
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
    };
    const a = mean(out.values);
    const b = mean(ref.values);
    if (!Number.isFinite(a) || !Number.isFinite(b)) return { change: null, significance: null };
    pairs = [[a, b, 0]];
  }
  let change = 0;
  let significance = 0;
  for (const [n, o, e] of pairs) {
    const d = unit === 'relative' ? Math.abs(n / o - 1) : Math.abs(n - o);
    change = Math.max(change, d);
    if (e > 0) significance = Math.max(significance, Math.abs(n - o) / e);
  }
  return { change: Number(change.toPrecision(4)), significance: Math.round(significance * 100) / 100 };
}

/** Payloads an algorithm looked for and did not find (its own is not a dependency). @param {ConstantsCache} cache @param {string} own */
function missingConditions(cache, own) {
  const names = new Set();
  for (const c of cache.byRun.values()) for (const n of c.missing) if (n !== own) names.add(n);
  return [...names].sort();
}
