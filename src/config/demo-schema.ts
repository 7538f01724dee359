/**
 * The demo experiment (`config/demo.yaml`): a small synthetic data-taking period generated with the reference toolkit
 * (`b2sim daq`), cut into buckets, with a few corrupt files and a fix window short enough to watch.
 */
import { z } from 'zod';

const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

export const DemoFileSchema = z
  .strictObject({
    experiment: z.number().int().min(0).max(9999).default(12).describe('Experiment number of the demo runs'),
    first_run: z.number().int().min(0).default(1).describe('Run number of the first demo run'),
    buckets: z.number().int().min(2).max(100).default(2).describe('Number of buckets to fill (at least 2)'),
    runs_per_bucket: z.number().int().min(1).max(10_000).default(4).describe('Runs per bucket'),
    files_per_run: z.number().int().min(1).max(1000).default(3).describe('Raw files per run'),
    events_per_file: z.number().int().min(1).max(10_000_000).default(2000).describe('Events per raw file'),
    seed: z.number().int().min(0).default(42).describe('Random seed of the generator, so demos are reproducible'),
    corrupt_runs: z
      .array(z.number().int().min(0))
      .default([])
      .describe('Run numbers that get corrupt raw files (to show input-error handling)'),
    corrupt_fraction: z
      .number()
      .gt(0)
      .max(1)
      .default(0.34)
      .describe('Fraction of the files of each corrupt run that are corrupt'),
    fix_window_seconds: z
      .number()
      .int()
      .min(1)
      .default(120)
      .describe('Fix window length in seconds; shortened for the demo only (production uses globaltags fix_window)'),
    manager_username: z
      .string()
      .regex(USERNAME_RE, 'not a valid username')
      .default('demo_manager')
      .describe('Username acting as calibration and data-production manager in the demo'),
  })
  .superRefine((d, ctx) => {
    const last = d.first_run + d.buckets * d.runs_per_bucket - 1;
    d.corrupt_runs.forEach((r, i) => {
      if (r < d.first_run || r > last) {
        ctx.addIssue({
          code: 'custom',
          path: ['corrupt_runs', i],
          message: `run ${r} is outside the demo runs ${d.first_run}-${last}`,
        });
      }
    });
  })
  .describe('Demo experiment settings (config/demo.yaml)');

export type DemoFileInput = z.input<typeof DemoFileSchema>;
export type DemoFile = z.output<typeof DemoFileSchema>;

export interface DemoConfig {
  experiment: number;
  firstRun: number;
  buckets: number;
  runsPerBucket: number;
  filesPerRun: number;
  eventsPerFile: number;
  seed: number;
  corruptRuns: number[];
  corruptFraction: number;
  fixWindowSeconds: number;
  managerUsername: string;
  /** Derived: run range of each bucket, in order. */
  bucketRuns: Array<{ firstRun: number; lastRun: number }>;
}

export function toDemoConfig(file: DemoFile): DemoConfig {
  const bucketRuns = Array.from({ length: file.buckets }, (_, i) => {
    const firstRun = file.first_run + i * file.runs_per_bucket;
    return { firstRun, lastRun: firstRun + file.runs_per_bucket - 1 };
  });
  return {
    experiment: file.experiment,
    firstRun: file.first_run,
    buckets: file.buckets,
    runsPerBucket: file.runs_per_bucket,
    filesPerRun: file.files_per_run,
    eventsPerFile: file.events_per_file,
    seed: file.seed,
    corruptRuns: [...file.corrupt_runs].sort((a, b) => a - b),
    corruptFraction: file.corrupt_fraction,
    fixWindowSeconds: file.fix_window_seconds,
    managerUsername: file.manager_username,
    bucketRuns,
  };
}
