/**
 * What production and calibration jobs cost, per step and per calibration, and what a bucket of a given size would
 * cost: the numbers a data-production manager needs before asking the grid for a share ("collect characteristics of
 * calibration jobs, size of input files, job output sizes, memory consumption").
 *
 * The statistics come from the database (one row per group, per-attempt medians, 95th percentiles and totals); this
 * module only scales them. Jobs with a run scale with the number of runs (observed jobs per run); bucket-level jobs
 * (calibrations) are per bucket, and what they read grows with the runs in it, so their totals scale with runs too.
 * Every attempt counts, failed ones included: a retried job cost what both attempts used.
 */

export const RESOURCE_METRICS = ['wallS', 'cpuS', 'peakRssMb', 'inputBytes', 'outputBytes'] as const;
export type ResourceMetric = (typeof RESOURCE_METRICS)[number];

export interface MetricStats {
  /** attempts that measured it */
  n: number;
  median: number | null;
  p95: number | null;
  total: number;
}

export interface ResourceGroupStats {
  step: string;
  /** calibration name for calibration jobs, else null */
  calibration: string | null;
  jobs: number;
  attempts: number;
  succeeded: number;
  /** distinct runs the jobs are for (0 for bucket-level jobs) */
  runs: number;
  buckets: number;
  /** runs in the buckets the jobs belong to */
  bucketRuns: number;
  metrics: Record<ResourceMetric, MetricStats>;
}

export interface ResourceProjection {
  runs: number;
  jobs: number;
  attempts: number;
  /** projected totals; peak memory is not additive, so it is the p95 per attempt (what to request) */
  wallS: number;
  cpuS: number;
  inputBytes: number;
  outputBytes: number;
  peakRssMbP95: number | null;
}

/** Scale factor from what was observed to a bucket of `runs` runs. */
function scale(g: ResourceGroupStats, runs: number): number {
  if (g.runs > 0) return runs / g.runs;
  if (g.bucketRuns > 0) return runs / g.bucketRuns;
  return g.buckets > 0 ? 1 / g.buckets : 0;
}

/** The group's cost for a bucket of `runs` runs, from its observed totals. */
export function projectGroup(g: ResourceGroupStats, runs: number): ResourceProjection {
  const f = scale(g, runs);
  // bucket-level jobs: one set per bucket whatever its size; run-level jobs: as many per run as observed
  const jobs = g.runs > 0 ? g.jobs * f : g.buckets > 0 ? g.jobs / g.buckets : 0;
  const attemptsPerJob = g.jobs > 0 ? g.attempts / g.jobs : 0;
  return {
    runs,
    jobs: Math.round(jobs),
    attempts: Math.round(jobs * attemptsPerJob),
    wallS: round(g.metrics.wallS.total * f),
    cpuS: round(g.metrics.cpuS.total * f),
    inputBytes: Math.round(g.metrics.inputBytes.total * f),
    outputBytes: Math.round(g.metrics.outputBytes.total * f),
    peakRssMbP95: g.metrics.peakRssMb.p95,
  };
}

/** Sum of the groups' projections: what the whole bucket needs. */
export function projectTotal(projections: readonly ResourceProjection[], runs: number): ResourceProjection {
  const sum = (k: 'jobs' | 'attempts' | 'wallS' | 'cpuS' | 'inputBytes' | 'outputBytes') => projections.reduce((s, p) => s + p[k], 0);
  const peaks = projections.map((p) => p.peakRssMbP95).filter((x): x is number => x !== null);
  return {
    runs,
    jobs: sum('jobs'),
    attempts: sum('attempts'),
    wallS: round(sum('wallS')),
    cpuS: round(sum('cpuS')),
    inputBytes: sum('inputBytes'),
    outputBytes: sum('outputBytes'),
    peakRssMbP95: peaks.length ? Math.max(...peaks) : null,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
