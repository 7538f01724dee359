/**
 * Planning the calibrations of one bucket, pure: which calibrations run, in which order, on which files; which end
 * as not-enough-data before running; which are blocked when another ends without payloads; which may start now; the
 * IoVs their payloads get; the numbers a manager judges a candidate by.
 *
 * Inputs are plain data read by the services: calibration definitions (config), the bucket's runs with the metadata
 * filters look at, and the cDST files production registered (OutputFile rows of step `cdst`, variant = skim name).
 */
import { CalibrationGraph } from './calibration-graph.ts';
import { isDeadEnd, isProducing, type CalibrationStage } from './calibration-states.ts';
import { runPassesFilters, type Detector, type InputFilter, type RunFilterMetadata } from './input-filters.ts';

/** The part of a calibration definition planning looks at (a `CalibrationDefinition` fits). */
export interface PlannedCalibration {
  name: string;
  detector: Detector;
  dependsOn: readonly string[];
  inputDataNames: readonly string[];
  inputDataFilters: Readonly<Record<string, readonly InputFilter[]>>;
  minEvents?: number;
}

export interface PlanRun extends RunFilterMetadata {
  exp: number;
  run: number;
}

export interface PlanFile {
  path: string;
  /** skim name (OutputFile.variant) */
  skim: string;
  exp: number;
  run: number;
  events: number;
  size: number;
}

/** The runs a calibration may use: the bucket's range, or an algorithm request's narrower range. */
export interface PlanScope {
  exp: number;
  firstRun: number;
  /** inclusive; null = up to the last run seen */
  lastRun: number | null;
}

export interface ExcludedRun {
  run: number;
  input: string;
  /** clauses the run failed */
  failed: string[];
}

export interface CalibrationInputs {
  /** sorted by run, then path */
  files: PlanFile[];
  events: number;
  bytes: number;
  /** runs contributing at least one file, ascending */
  runs: number[];
  /** per input name: number of files selected */
  perInput: Record<string, number>;
  /** runs whose files were left out by a filter */
  excluded: ExcludedRun[];
}

export type Sufficiency = { ok: true } | { ok: false; reason: string };

const inScope = (scope: PlanScope, exp: number, run: number) =>
  exp === scope.exp && run >= scope.firstRun && (scope.lastRun === null || run <= scope.lastRun);

/**
 * The files of `input_data_names` in scope whose runs pass that input's filters. Files with no events are not inputs.
 * A file whose run is unknown (no metadata) is left out: filters cannot be judged without the run.
 */
export function selectInputs(
  calibration: PlannedCalibration,
  scope: PlanScope,
  runs: readonly PlanRun[],
  files: readonly PlanFile[],
): CalibrationInputs {
  const runByNumber = new Map(runs.filter((r) => r.exp === scope.exp).map((r) => [r.run, r]));
  const selected: PlanFile[] = [];
  const excluded: ExcludedRun[] = [];
  const perInput: Record<string, number> = {};
  for (const input of calibration.inputDataNames) {
    perInput[input] = 0;
    const filters = calibration.inputDataFilters[input] ?? [];
    const verdict = new Map<number, boolean>();
    for (const f of files) {
      if (f.skim !== input || !inScope(scope, f.exp, f.run) || f.events <= 0) continue;
      let ok = verdict.get(f.run);
      if (ok === undefined) {
        const run = runByNumber.get(f.run);
        if (!run) ok = false;
        else {
          const d = runPassesFilters(filters, run, { detector: calibration.detector });
          ok = d.accepted;
          if (!ok) excluded.push({ run: f.run, input, failed: d.failed });
        }
        verdict.set(f.run, ok);
      }
      if (ok) {
        selected.push(f);
        perInput[input]++;
      }
    }
  }
  selected.sort((a, b) => a.run - b.run || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  excluded.sort((a, b) => a.run - b.run || (a.input < b.input ? -1 : 1));
  return {
    files: selected,
    events: selected.reduce((n, f) => n + f.events, 0),
    bytes: selected.reduce((n, f) => n + f.size, 0),
    runs: [...new Set(selected.map((f) => f.run))].sort((a, b) => a - b),
    perInput,
    excluded,
  };
}

/** Every input name needs files, and together at least `minEvents` events (when the definition sets it). */
export function judgeInputs(calibration: PlannedCalibration, inputs: CalibrationInputs): Sufficiency {
  const missing = calibration.inputDataNames.filter((n) => (inputs.perInput[n] ?? 0) === 0);
  if (missing.length > 0) {
    const filtered = inputs.excluded.filter((e) => missing.includes(e.input)).length;
    return {
      ok: false,
      reason: `no usable ${missing.join(', ')} files in the bucket${filtered ? ` (${filtered} run(s) left out by input_data_filters)` : ''}`,
    };
  }
  if (calibration.minEvents !== undefined && inputs.events < calibration.minEvents) {
    return { ok: false, reason: `${inputs.events} input events, fewer than min_events=${calibration.minEvents}` };
  }
  return { ok: true };
}

export interface BucketPlanEntry {
  calibration: string;
  detector: Detector;
  dependsOn: string[];
  inputs: CalibrationInputs;
  /** how the CalibrationRun starts */
  stage: Extract<CalibrationStage, 'waiting' | 'not_enough_data' | 'blocked'>;
  reason?: string;
  /** calibrations that cannot run if this one ends without payloads (transitively), in order */
  blocksIfFails: string[];
}

export interface BucketPlan {
  /** topological order, dependencies first */
  order: string[];
  entries: BucketPlanEntry[];
}

/**
 * The calibrations of a bucket in dependency order with their inputs. One with missing or too few inputs starts as
 * `not_enough_data`; everything that (transitively) depends on it starts `blocked`.
 */
export function planBucket(
  calibrations: readonly PlannedCalibration[],
  scope: PlanScope,
  runs: readonly PlanRun[],
  files: readonly PlanFile[],
): BucketPlan {
  const graph = new CalibrationGraph(calibrations);
  const byName = new Map(calibrations.map((c) => [c.name, c]));
  const stage = new Map<string, BucketPlanEntry['stage']>();
  const entries: BucketPlanEntry[] = [];
  for (const name of graph.order) {
    const c = byName.get(name)!;
    const inputs = selectInputs(c, scope, runs, files);
    const deadDeps = graph.directDependencies(name).filter((d) => stage.get(d) !== 'waiting');
    let entry: BucketPlanEntry;
    const base = { calibration: name, detector: c.detector, dependsOn: [...graph.directDependencies(name)], inputs, blocksIfFails: graph.dependentsOf(name) };
    if (deadDeps.length > 0) {
      entry = { ...base, stage: 'blocked', reason: `blocked: ${deadDeps.join(', ')} cannot produce payloads` };
    } else {
      const s = judgeInputs(c, inputs);
      entry = s.ok ? { ...base, stage: 'waiting' } : { ...base, stage: 'not_enough_data', reason: s.reason };
    }
    stage.set(name, entry.stage);
    entries.push(entry);
  }
  return { order: [...graph.order], entries };
}

// ───────────────────────────── scheduling the tick ─────────────────────────────

/** A CalibrationRun as the scheduler sees it. */
export interface RunView {
  id: number;
  calibration: string;
  stage: string;
}

/**
 * The run that counts for each calibration of a bucket: the newest one. An approved algorithm request's run
 * supersedes the planned one (or an earlier request's).
 */
export function currentRuns<T extends RunView>(runs: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of runs) {
    const cur = out.get(r.calibration);
    if (!cur || r.id > cur.id) out.set(r.calibration, r);
  }
  return out;
}

export interface TickActions {
  /** run ids to start now: every dependency produced payloads; independent ones together */
  start: number[];
  /** waiting runs to block, with the dependency at fault */
  block: Array<{ id: number; calibration: string; because: string[] }>;
  /** blocked runs whose dependencies have produced payloads again (re-run through a request) */
  unblock: number[];
}

/**
 * What the advance tick does with the current runs of a bucket. A dependency without any run yet (not planned) keeps
 * its dependents waiting.
 */
export function decideTick(dependsOn: (calibration: string) => readonly string[], runs: readonly RunView[]): TickActions {
  const current = currentRuns(runs);
  const out: TickActions = { start: [], block: [], unblock: [] };
  for (const r of [...current.values()].sort((a, b) => a.id - b.id)) {
    if (r.stage !== 'waiting' && r.stage !== 'blocked') continue;
    const deps = dependsOn(r.calibration);
    const states = deps.map((d) => current.get(d)?.stage);
    const dead = deps.filter((_, i) => states[i] !== undefined && isDeadEnd(states[i]!));
    const allProduced = states.every((s) => s !== undefined && isProducing(s));
    if (r.stage === 'waiting') {
      if (dead.length > 0) out.block.push({ id: r.id, calibration: r.calibration, because: dead });
      else if (allProduced) out.start.push(r.id);
    } else if (allProduced) {
      out.unblock.push(r.id);
    }
  }
  return out;
}

// ───────────────────────────── outputs ─────────────────────────────

export interface PlannedIov {
  firstExp: number;
  firstRun: number;
  finalExp: number;
  finalRun: number;
  /** for per-run granularity: the run whose data the IoV stands for */
  run?: number;
}

/**
 * IoVs of a calibration's payload. `bucket`: one open-ended IoV from the first run of the scope. `run`: one per run
 * with data, each until the next such run, the first starting at the scope's first run and the last open-ended — no
 * gaps and no overlaps, as a running update requires.
 */
export function planIovs(granularity: 'bucket' | 'run', scope: { exp: number; firstRun: number }, runsWithData: readonly number[]): PlannedIov[] {
  if (granularity === 'bucket' || runsWithData.length === 0) {
    return [{ firstExp: scope.exp, firstRun: scope.firstRun, finalExp: -1, finalRun: -1 }];
  }
  const runs = [...new Set(runsWithData)].sort((a, b) => a - b);
  return runs.map((run, i) => ({
    firstExp: scope.exp,
    firstRun: i === 0 ? Math.min(scope.firstRun, run) : run,
    finalExp: i === runs.length - 1 ? -1 : scope.exp,
    finalRun: i === runs.length - 1 ? -1 : runs[i + 1] - 1,
    run,
  }));
}

/**
 * The metrics a per-run candidate keeps: every top-level entry keyed by run number (`values`, `uncertainties`,
 * `mergedRuns`, …) cut down to this run's entry, the rest as the algorithm wrote it, plus `run`. Copying the whole
 * result into each of a bucket's 359 per-run candidates grows as runs² (cdc_dedx's `mergedRuns` alone is 250 KB per
 * copy, 94 MB per bucket); the iteration keeps the full metrics.
 */
export function metricsOfRun(metrics: Readonly<Record<string, unknown>>, run: number): Record<string, unknown> {
  const key = String(run);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metrics)) {
    out[k] = isRunKeyed(v) && key in v ? { [key]: v[key] } : v;
  }
  out.run = run;
  return out;
}

function isRunKeyed(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => /^(0|[1-9][0-9]*)$/.test(k));
}

/** The definition's expert_config with a request's overrides on top (top-level keys replace). */
export function mergeExpertConfig<T extends Record<string, unknown>>(defaults: T, overrides: Record<string, unknown> | null | undefined): T {
  return { ...defaults, ...(overrides ?? {}) } as T;
}

/**
 * Stable idempotency key of one iteration's job (bucket / calibration / request / iteration), in the job engine's
 * path-like style so the job's directory reads `jobs/calibration/e12_bucket1/ecl_energy/plan/i0/...`.
 */
export function calibrationJobKey(input: { bucket: string; calibration: string; requestId: number | null; iteration: number }): string {
  return `calibration/${input.bucket}/${input.calibration}/${input.requestId === null ? 'plan' : `request${input.requestId}`}/i${input.iteration}`;
}

export interface ValueChange {
  /** keys present in both payloads */
  compared: number;
  maxAbsChange: number | null;
  maxRelChange: number | null;
  /** the key with the largest absolute change */
  worstKey: string | null;
  /** largest |change| / uncertainty, when the new payload gives uncertainties */
  maxPull: number | null;
}

/**
 * How much a candidate's values moved w.r.t. the previous payload of the same name (the one in the running tag):
 * what a manager looks at first. Non-numeric values are skipped.
 */
export function compareValues(
  next: Readonly<Record<string, unknown>>,
  previous: Readonly<Record<string, unknown>> | null,
  uncertainties?: Readonly<Record<string, unknown>>,
): ValueChange {
  const out: ValueChange = { compared: 0, maxAbsChange: null, maxRelChange: null, worstKey: null, maxPull: null };
  if (!previous) return out;
  for (const [k, v] of Object.entries(next)) {
    const p = previous[k];
    if (typeof v !== 'number' || typeof p !== 'number') continue;
    out.compared++;
    const abs = Math.abs(v - p);
    if (out.maxAbsChange === null || abs > out.maxAbsChange) {
      out.maxAbsChange = abs;
      out.worstKey = k;
    }
    if (p !== 0) out.maxRelChange = Math.max(out.maxRelChange ?? 0, abs / Math.abs(p));
    const u = uncertainties?.[k];
    if (typeof u === 'number' && u > 0) out.maxPull = Math.max(out.maxPull ?? 0, abs / u);
  }
  return out;
}

// ───────────────────────────── ready for the running update ─────────────────────────────

export interface Readiness {
  ready: boolean;
  /** why not, one line each, for `calibration status` */
  blockers: string[];
  /** candidates that go into the running update */
  approved: number[];
}

/**
 * A bucket may go to the running update when every current calibration has finished, none of them is rejected (a
 * rejected calibration waits for its expert's resubmission), no candidate is pending, and something was approved.
 * Calibrations that ended without payloads (not enough data, failed, blocked) keep the running tag's previous payload.
 */
export function judgeReadiness(
  runs: ReadonlyArray<{ id: number; calibration: string; stage: string }>,
  candidates: ReadonlyArray<{ id: number; calibrationRunId: number; state: string; name: string }>,
): Readiness {
  const current = currentRuns(runs);
  const blockers: string[] = [];
  const approved: number[] = [];
  for (const r of [...current.values()].sort((a, b) => a.id - b.id)) {
    if (r.stage === 'waiting' || r.stage === 'running') blockers.push(`${r.calibration} is ${r.stage}`);
    if (r.stage === 'rejected') blockers.push(`${r.calibration}: payloads rejected; waits for a resubmitted request`);
    if (!isProducing(r.stage)) continue;
    const own = candidates.filter((c) => c.calibrationRunId === r.id);
    const pending = own.filter((c) => c.state === 'pending');
    if (pending.length > 0) blockers.push(`${r.calibration}: ${pending.length} candidate(s) pending approval`);
    approved.push(...own.filter((c) => c.state === 'approved').map((c) => c.id));
  }
  if (blockers.length === 0 && approved.length === 0) blockers.push('no approved payload');
  return { ready: blockers.length === 0, blockers, approved: approved.sort((a, b) => a - b) };
}
