/**
 * Start-up loaders: parse once, fail fast. Each throws `DomainError('INVALID_INPUT', …, problems)` listing every
 * problem found (the same list `calibloop config check` prints), and returns resolved camelCase config otherwise.
 */
import { CalibrationGraph } from '../domain/calibration-graph.ts';
import { DomainError } from '../domain/errors.ts';
import type { CalibrationDefinition } from './calibration-schema.ts';
import {
  collectCalibrations,
  collectDemoConfig,
  collectGlobalTags,
  formatProblem,
  readProductionSkims,
  type ConfigProblem,
} from './check-config.ts';
import type { DemoConfig } from './demo-schema.ts';
import type { GlobalTagConfig } from './globaltags-schema.ts';

function fail(what: string, problems: ConfigProblem[]): never {
  const n = problems.length;
  const list = problems.map((p) => `  ${formatProblem(p)}`).join('\n');
  throw new DomainError('INVALID_INPUT', `${what}: ${n} problem${n === 1 ? '' : 's'}\n${list}`, problems);
}

export interface LoadCalibrationsOptions {
  /** Known skims: every input name must be one of them. */
  skims?: readonly string[];
  /** Read the known skims from this production config (ignored when `skims` is given). */
  productionFile?: string;
}

/**
 * All calibrations of `dir`, in topological order (dependencies first, ties by name). The unknown-skim check runs
 * only when `skims` or `productionFile` is given.
 */
export function loadCalibrations(dir: string, options: LoadCalibrationsOptions = {}): CalibrationDefinition[] {
  let skims = options.skims;
  let skimsSource: string | undefined;
  const problems: ConfigProblem[] = [];
  if (skims === undefined && options.productionFile !== undefined) {
    const p = readProductionSkims(options.productionFile);
    problems.push(...p.problems);
    skims = p.skims;
    skimsSource = p.source === 'production' ? options.productionFile : 'docs/contracts.md';
  }
  const collected = collectCalibrations(dir, { ...(skims ? { skims } : {}), ...(skimsSource ? { skimsSource } : {}) });
  problems.push(...collected.problems);
  if (problems.length > 0) fail(`invalid calibrations in ${dir}`, problems);
  const byName = new Map(collected.calibrations.map((c) => [c.name, c]));
  return new CalibrationGraph(collected.calibrations).order.map((n) => byName.get(n)!);
}

/** The calibration set with its dependency graph (order, `dependentsOf`, `runnable`, ...). */
export function loadCalibrationGraph(
  dir: string,
  options: LoadCalibrationsOptions = {},
): { calibrations: CalibrationDefinition[]; graph: CalibrationGraph; byName: Map<string, CalibrationDefinition> } {
  const calibrations = loadCalibrations(dir, options);
  return {
    calibrations,
    graph: new CalibrationGraph(calibrations),
    byName: new Map(calibrations.map((c) => [c.name, c])),
  };
}

/** `dir/prompt.yaml`. */
export function loadGlobalTags(dir: string): GlobalTagConfig {
  const r = collectGlobalTags(dir);
  if (r.problems.length > 0 || r.config === undefined) fail(`invalid global tag config ${r.file}`, r.problems);
  return r.config;
}

export function loadDemoConfig(file: string): DemoConfig {
  const r = collectDemoConfig(file);
  if (r.problems.length > 0 || r.config === undefined) fail(`invalid demo config ${file}`, r.problems);
  return r.config;
}
