/**
 * Input data filters of a calibration (Belle II `CalibrationSettings.input_data_filters`): per input (skim) name, a
 * list of clauses a run must satisfy for its files to be used. All clauses of a list must hold (AND).
 *
 * Grammar of one clause (whitespace-separated, case-sensitive):
 *
 *   clause := ["NOT" SP] key SP value
 *   key    := "run_type" | "data_quality" ["." (detector | "all")] | "beam_energy" | "magnet"
 *
 *   run_type physics         run type equals the value (any lower-case word: physics, cosmic, calib, beam, debug, ...)
 *   data_quality good        quality of the calibration's own detector is good | bad | ugly
 *   data_quality.cdc good    quality of another detector (svd, pxd, cdc, ecl, top, arich, klm)
 *   data_quality.all good    every detector the run's quality record lists has that quality
 *   beam_energy 4S           4S | continuum | scan | no_beam
 *   magnet on                on | off
 *   NOT run_type cosmic      negation of any clause
 *
 * Run metadata may lack a field (run lists need not carry beam energy or magnet state, and PXD is often absent from the
 * quality record). Such a clause is `unknown`, not false, and a negated unknown stays unknown; the caller chooses
 * whether unknown clauses accept the run (default) or reject it.
 */

// One list of detectors for roles, calibrations and filters.
import { DETECTORS, type Detector } from './roles.ts';
export { DETECTORS, type Detector };

export const RUN_QUALITIES = ['good', 'bad', 'ugly'] as const;
export type RunQuality = (typeof RUN_QUALITIES)[number];

export const BEAM_ENERGIES = ['4S', 'continuum', 'scan', 'no_beam'] as const;
export type BeamEnergy = (typeof BEAM_ENERGIES)[number];

export const MAGNET_STATES = ['on', 'off'] as const;
export type MagnetState = (typeof MAGNET_STATES)[number];

export const FILTER_KEYS = ['run_type', 'data_quality', 'beam_energy', 'magnet'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** One parsed clause. For `data_quality`, `detector` is `undefined` until bound to the calibration's detector. */
export type InputFilter =
  | { text: string; negated: boolean; key: 'run_type'; value: string }
  | { text: string; negated: boolean; key: 'data_quality'; detector: Detector | 'all' | undefined; value: RunQuality }
  | { text: string; negated: boolean; key: 'beam_energy'; value: BeamEnergy }
  | { text: string; negated: boolean; key: 'magnet'; value: MagnetState };

export type ParseFilterResult = { ok: true; filter: InputFilter } | { ok: false; error: string };

/** What a filter looks at; the run source provides it per run. */
export interface RunFilterMetadata {
  type: string;
  quality: Partial<Record<Detector, RunQuality>>;
  beamEnergy?: string | null;
  magnet?: string | null;
}

export type ClauseResult = 'pass' | 'fail' | 'unknown';

const RUN_TYPE_RE = /^[a-z][a-z0-9_]*$/;

const includes = <T extends string>(list: readonly T[], v: string): v is T => (list as readonly string[]).includes(v);
const quoteList = (list: readonly string[]) => list.join(' | ');

export function parseInputFilter(text: string): ParseFilterResult {
  const tokens = text.trim().split(/\s+/).filter((t) => t.length > 0);
  if (tokens.length === 0) return { ok: false, error: 'empty filter' };
  let negated = false;
  if (tokens[0] === 'NOT') {
    negated = true;
    tokens.shift();
  } else if (tokens[0].toUpperCase() === 'NOT') {
    return { ok: false, error: `negation is written "NOT" in capitals, not "${tokens[0]}"` };
  }
  if (tokens.length !== 2) {
    return { ok: false, error: `expected "[NOT ]<key> <value>", got "${text.trim()}"` };
  }
  const [rawKey, value] = tokens;
  const [key, qualifier, ...rest] = rawKey.split('.');
  const canonical = text.trim().replace(/\s+/g, ' ');
  if (!includes(FILTER_KEYS, key) || rest.length > 0) {
    return { ok: false, error: `unknown filter key "${rawKey}"; known keys: ${quoteList(FILTER_KEYS)}` };
  }
  if (qualifier !== undefined && key !== 'data_quality') {
    return { ok: false, error: `filter key "${key}" takes no ".<detector>" qualifier` };
  }
  switch (key) {
    case 'run_type':
      if (!RUN_TYPE_RE.test(value)) {
        return { ok: false, error: `run_type value "${value}" must be a lower-case word such as physics or cosmic` };
      }
      return { ok: true, filter: { text: canonical, negated, key, value } };
    case 'data_quality': {
      let detector: Detector | 'all' | undefined;
      if (qualifier !== undefined) {
        if (qualifier !== 'all' && !includes(DETECTORS, qualifier)) {
          return {
            ok: false,
            error: `unknown detector "${qualifier}" in "${rawKey}"; use one of ${quoteList(DETECTORS)} or all`,
          };
        }
        detector = qualifier;
      }
      if (!includes(RUN_QUALITIES, value)) {
        return { ok: false, error: `data_quality value "${value}" must be one of ${quoteList(RUN_QUALITIES)}` };
      }
      return { ok: true, filter: { text: canonical, negated, key, detector, value } };
    }
    case 'beam_energy':
      if (!includes(BEAM_ENERGIES, value)) {
        return { ok: false, error: `beam_energy value "${value}" must be one of ${quoteList(BEAM_ENERGIES)}` };
      }
      return { ok: true, filter: { text: canonical, negated, key, value } };
    case 'magnet':
      if (!includes(MAGNET_STATES, value)) {
        return { ok: false, error: `magnet value "${value}" must be one of ${quoteList(MAGNET_STATES)}` };
      }
      return { ok: true, filter: { text: canonical, negated, key, value } };
  }
}

/** Binds `data_quality` clauses without a qualifier to the calibration's detector. */
export function bindFilterDetector(filter: InputFilter, detector: Detector): InputFilter {
  if (filter.key === 'data_quality' && filter.detector === undefined) return { ...filter, detector };
  return filter;
}

function evaluatePositive(filter: InputFilter, run: RunFilterMetadata, ownDetector?: Detector): ClauseResult {
  switch (filter.key) {
    case 'run_type':
      return run.type === filter.value ? 'pass' : 'fail';
    case 'data_quality': {
      const detector = filter.detector ?? ownDetector;
      if (detector === undefined) return 'unknown';
      if (detector === 'all') {
        const listed = Object.values(run.quality).filter((q): q is RunQuality => q !== undefined);
        if (listed.length === 0) return 'unknown';
        return listed.every((q) => q === filter.value) ? 'pass' : 'fail';
      }
      const q = run.quality[detector];
      if (q === undefined) return 'unknown';
      return q === filter.value ? 'pass' : 'fail';
    }
    case 'beam_energy':
    case 'magnet': {
      const actual = filter.key === 'beam_energy' ? run.beamEnergy : run.magnet;
      if (actual === undefined || actual === null || actual === '') return 'unknown';
      return actual.toLowerCase() === filter.value.toLowerCase() ? 'pass' : 'fail';
    }
  }
}

/** Evaluates one clause. `ownDetector` is used for an unbound `data_quality` clause. */
export function evaluateInputFilter(filter: InputFilter, run: RunFilterMetadata, ownDetector?: Detector): ClauseResult {
  const r = evaluatePositive(filter, run, ownDetector);
  if (r === 'unknown' || !filter.negated) return r;
  return r === 'pass' ? 'fail' : 'pass';
}

export interface FilterDecision {
  accepted: boolean;
  /** Texts of clauses the run fails. */
  failed: string[];
  /** Texts of clauses the run's metadata cannot decide. */
  unknown: string[];
}

export interface EvaluateFiltersOptions {
  /** Detector for unbound `data_quality` clauses. */
  detector?: Detector;
  /** Whether a clause the metadata cannot decide accepts the run (default) or rejects it. */
  unknown?: 'accept' | 'reject';
}

/** Decides whether a run's data may be used for an input: every clause must pass (unknown per `options.unknown`). */
export function runPassesFilters(
  filters: readonly InputFilter[],
  run: RunFilterMetadata,
  options: EvaluateFiltersOptions = {},
): FilterDecision {
  const failed: string[] = [];
  const unknown: string[] = [];
  for (const f of filters) {
    const r = evaluateInputFilter(f, run, options.detector);
    if (r === 'fail') failed.push(f.text);
    else if (r === 'unknown') unknown.push(f.text);
  }
  const accepted = failed.length === 0 && (options.unknown !== 'reject' || unknown.length === 0);
  return { accepted, failed, unknown };
}
