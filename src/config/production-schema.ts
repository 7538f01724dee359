/**
 * `config/production.yaml`: run sources, the bucket policy, the production steps (command templates, resources,
 * chunking, tag chain), retries and the job engine's limits. Parsed once at start-up (`loadProductionConfig`), every
 * key documented here, resolved to camelCase `ProductionConfig` with paths made absolute.
 *
 * The top-level `skims:` list is also read by `calibloop config check` (src/config/check-config.ts) to validate the
 * calibrations' inputs; keep its shape (strings or `{name}` objects).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/retry-policy.ts';
import { COMMAND_PLACEHOLDERS, placeholdersOf } from '../domain/command-template.ts';
import { DomainError } from '../domain/errors.ts';
import type { PlanStep } from '../domain/production-plan.ts';
import { readYamlFile, zodProblems, formatProblem, type ConfigProblem } from './check-config.ts';

const NAME_RE = /^[a-z][a-z0-9_]*$/;
const name = z.string().regex(NAME_RE, 'lower-case letters, digits and _ only, starting with a letter');
const cronExpr = z
  .string()
  .regex(/^(\S+\s+){4,5}\S+$/, 'a cron expression with 5 or 6 fields')
  .describe('node-cron expression (6 fields = with seconds)');

const commandTemplate = z
  .array(z.string().min(1))
  .min(1)
  .superRefine((argv, ctx) => {
    argv.forEach((arg, i) => {
      for (const p of placeholdersOf(arg)) {
        if (!(COMMAND_PLACEHOLDERS as readonly string[]).includes(p)) {
          ctx.addIssue({ code: 'custom', path: [i], message: `unknown placeholder {${p}} (known: ${COMMAND_PLACEHOLDERS.map((x) => `{${x}}`).join(' ')})` });
        }
      }
    });
  })
  .describe('argv with placeholders (docs/contracts.md), run without a shell');

const DirectorySourceSchema = z.strictObject({
  name: name.describe('Name of the source, recorded on every run it delivers'),
  type: z.literal('directory'),
  path: z.string().min(1).describe('Directory the DAQ side drops run-list files into (JSON or YAML); relative paths are under CALIBLOOP_HOME'),
});

const HttpSourceSchema = z.strictObject({
  name: name.describe('Name of the source, recorded on every run it delivers'),
  type: z.literal('http'),
  url: z.string().url().describe('Run database endpoint answering GET with a run list (docs/production.md); `updatedSince` is passed as a query parameter'),
  token_env: z.string().optional().describe('Environment variable holding a bearer token for the run database'),
  timeout_s: z.number().positive().max(600).default(15).describe('Request timeout in seconds'),
  overlap_s: z.number().min(0).default(300).describe('The next poll asks for changes since the last successful poll minus this, so late commits are not missed'),
});

const RunSourceSchema = z.discriminatedUnion('type', [DirectorySourceSchema, HttpSourceSchema]);

const ResourcesSchema = z.strictObject({
  memory_mb: z.number().int().min(64).max(1_048_576).default(2048).describe('Memory request of one job in MiB (first attempt)'),
  time_limit_s: z.number().int().min(10).max(7 * 24 * 3600).default(3600).describe('Wall-clock limit of one attempt in seconds'),
});

export const STEP_KINDS = ['skim', 'cdst', 'mdst'] as const;
export const STEP_PHASES = ['production', 'prompt', 'reprocessing'] as const;

const StepSchema = z.strictObject({
  kind: z.enum(STEP_KINDS).describe('skim: raw → one skim file per skim name; cdst: skim files → cDST per skim; mdst: raw → mDST'),
  phase: z
    .enum(STEP_PHASES)
    .default('production')
    .describe('Who plans its jobs: production (this part, for closed buckets), prompt (prompt processing), reprocessing (final campaign)'),
  input: z.string().min(1).describe('`raw` or the name of the step whose outputs are the inputs'),
  per_skim: z.boolean().default(false).describe('One job per skim name (variant) of the top-level skims list'),
  chunk_files: z.number().int().min(1).max(10_000).default(1).describe('Input files per job (raw inputs only); one chunk per job'),
  command: commandTemplate,
  output: z
    .string()
    .min(1)
    .describe('Output path pattern under data_dir; placeholders {bucket} {step} {skim} {exp} {run} {chunk}'),
  resources: ResourcesSchema.prefault({}),
  max_attempts: z.number().int().min(1).max(20).default(3).describe('Attempts of one job over all error classes'),
  priority: z.number().int().min(-1000).max(1000).default(0).describe('Higher is submitted first'),
  tag_chain: z
    .string()
    .nullable()
    .default(null)
    .describe('Chain name from globaltags/prompt.yaml `chains` whose tags the job reads conditions from ({localdb}); null = none'),
});

export const ProductionFileSchema = z
  .strictObject({
    data_dir: z.string().min(1).default('data').describe('Where job outputs go; relative paths are under CALIBLOOP_HOME'),
    skims: z
      .array(z.union([name, z.strictObject({ name, description: z.string().optional() })]))
      .min(1)
      .describe('HLT skims produced for calibration (also read by `calibloop config check`)'),
    run_sources: z.array(RunSourceSchema).default([]).describe('Where runs come from (polled by the run-sources tick)'),
    buckets: z
      .strictObject({
        auto_open: z.boolean().default(true).describe('Open a bucket for arriving runs when none of their experiment is open'),
        run_types: z.array(z.string().min(1)).min(1).default(['physics']).describe('Run types that go into buckets'),
        max_duration_hours: z.number().positive().nullable().default(336).describe('Close when the runs span this long (first start to last end); null = no limit'),
        max_luminosity_pb: z.number().positive().nullable().default(null).describe('Close when the integrated luminosity of its runs reaches this (/pb); null = no limit'),
        max_runs: z.number().int().positive().nullable().default(null).describe('Close when it holds this many runs; null = no limit'),
        idle_hours: z.number().positive().nullable().default(null).describe('Close when no run arrived for this long (clock time); null = never'),
      })
      .prefault({})
      .describe('Bucket policy'),
    readiness: z
      .strictObject({
        file_wait_hours: z
          .number()
          .min(0)
          .default(6)
          .describe('After a run ended, how long to wait for files still `registered` before producing without them (waiting for every file stalled whole runs on one file that never came)'),
      })
      .prefault({})
      .describe('When a run is ready for production'),
    steps: z.record(name, StepSchema).describe('Production steps by name'),
    retry: z
      .strictObject({
        site: z
          .strictObject({
            backoff_s: z.number().min(0).default(DEFAULT_RETRY_POLICY.site.backoffS).describe('First retry delay after a site error'),
            factor: z.number().min(1).default(DEFAULT_RETRY_POLICY.site.factor).describe('Backoff multiplier per attempt'),
            max_backoff_s: z.number().min(0).default(DEFAULT_RETRY_POLICY.site.maxBackoffS).describe('Longest delay'),
          })
          .prefault({}),
        software: z
          .strictObject({
            max_attempts: z.number().int().min(1).default(DEFAULT_RETRY_POLICY.software.maxAttempts).describe('Attempts when the program itself fails'),
            delay_s: z.number().min(0).default(DEFAULT_RETRY_POLICY.software.delayS).describe('Delay before the retry'),
          })
          .prefault({}),
        resource: z
          .strictObject({
            memory_factor: z.number().min(1.5).max(2).default(DEFAULT_RETRY_POLICY.resource.memoryFactor).describe('Memory multiplier after an out-of-memory failure'),
            max_memory_mb: z.number().int().min(64).default(DEFAULT_RETRY_POLICY.resource.maxMemoryMb).describe('Memory cap; a job failing at the cap is held'),
          })
          .prefault({}),
      })
      .prefault({})
      .describe('Retries per error class (src/domain/retry-policy.ts)'),
    jobs: z
      .strictObject({
        submit_batch: z.number().int().min(1).max(100_000).default(500).describe('Jobs per executor.submit call'),
        max_in_flight: z.number().int().min(1).default(2000).describe('Most jobs submitted or running at once through this server'),
        poll_batch: z.number().int().min(1).default(2000).describe('Executor ids per poll call'),
        stall_after_s: z.number().int().min(1).default(900).describe('A running job not confirmed alive by the executor for this long is asked about and, if unknown, marked lost'),
        submit_grace_s: z.number().int().min(1).default(120).describe('A claimed submission without an executor id older than this was interrupted (crash) and is submitted again with the same key'),
        plan_runs_per_tick: z.number().int().min(1).default(5000).describe('Runs planned per production tick'),
      })
      .prefault({})
      .describe('Job engine limits'),
    schedule: z
      .strictObject({
        run_sources: cronExpr.default('*/30 * * * * *'),
        buckets: cronExpr.default('*/30 * * * * *'),
        production: cronExpr.default('*/5 * * * * *'),
        jobs: cronExpr
          .default('*/5 * * * * *')
          .describe('The job engine (poll, stalls, submit) as a safety net: a finished or newly created job runs it at once'),
      })
      .prefault({})
      .describe('Cron expressions of the ticks'),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.run_sources.forEach((s, i) => {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: ['run_sources', i, 'name'], message: `source "${s.name}" defined twice` });
      names.add(s.name);
    });
    for (const [stepName, step] of Object.entries(c.steps)) {
      if (step.input !== 'raw' && !(step.input in c.steps)) {
        ctx.addIssue({ code: 'custom', path: ['steps', stepName, 'input'], message: `unknown input step "${step.input}"` });
      }
      if (step.input === stepName) ctx.addIssue({ code: 'custom', path: ['steps', stepName, 'input'], message: 'a step cannot read its own outputs' });
      if (step.per_skim && !step.output.includes('{skim}') && !step.output.includes('{step}')) {
        ctx.addIssue({ code: 'custom', path: ['steps', stepName, 'output'], message: 'a per-skim step needs {skim} in its output pattern' });
      }
      if (step.input === 'raw' && !step.output.includes('{chunk}')) {
        ctx.addIssue({ code: 'custom', path: ['steps', stepName, 'output'], message: 'a step reading raw files is chunked and needs {chunk} in its output pattern' });
      }
    }
  })
  .describe('Production: run sources, buckets, steps, retries (config/production.yaml)');

export type ProductionFileInput = z.input<typeof ProductionFileSchema>;
export type ProductionFile = z.output<typeof ProductionFileSchema>;

export type RunSourceConfig =
  | { name: string; type: 'directory'; path: string }
  | { name: string; type: 'http'; url: string; tokenEnv?: string; timeoutS: number; overlapS: number };

/** A configured step: what the planner needs (PlanStep) plus where it runs in the loop and with which tags. */
export interface StepConfig extends PlanStep {
  kind: (typeof STEP_KINDS)[number];
  phase: (typeof STEP_PHASES)[number];
  tagChain: string | null;
}

export interface ProductionConfig {
  file: string;
  dataDir: string;
  skims: string[];
  runSources: RunSourceConfig[];
  buckets: {
    autoOpen: boolean;
    runTypes: string[];
    maxDurationHours: number | null;
    maxLuminosityPb: number | null;
    maxRuns: number | null;
    idleHours: number | null;
  };
  readiness: { fileWaitHours: number };
  /** in dependency order (a step's input step comes first) */
  steps: StepConfig[];
  retry: RetryPolicy;
  jobs: { submitBatch: number; maxInFlight: number; pollBatch: number; stallAfterS: number; submitGraceS: number; planRunsPerTick: number };
  schedule: { runSources: string; buckets: string; production: string; jobs: string };
}

function orderSteps(steps: StepConfig[]): StepConfig[] {
  const out: StepConfig[] = [];
  const byName = new Map(steps.map((s) => [s.name, s]));
  const visit = (s: StepConfig, seen: Set<string>) => {
    if (out.includes(s) || seen.has(s.name)) return;
    seen.add(s.name);
    const dep = byName.get(s.input);
    if (dep) visit(dep, seen);
    out.push(s);
  };
  for (const s of steps) visit(s, new Set());
  return out;
}

export function toProductionConfig(f: ProductionFile, file: string, home: string): ProductionConfig {
  const under = (p: string) => (isAbsolute(p) ? p : resolve(home, p));
  return {
    file,
    dataDir: under(f.data_dir),
    skims: f.skims.map((s) => (typeof s === 'string' ? s : s.name)),
    runSources: f.run_sources.map((s) =>
      s.type === 'directory'
        ? { name: s.name, type: 'directory' as const, path: under(s.path) }
        : { name: s.name, type: 'http' as const, url: s.url, ...(s.token_env ? { tokenEnv: s.token_env } : {}), timeoutS: s.timeout_s, overlapS: s.overlap_s },
    ),
    buckets: {
      autoOpen: f.buckets.auto_open,
      runTypes: f.buckets.run_types,
      maxDurationHours: f.buckets.max_duration_hours,
      maxLuminosityPb: f.buckets.max_luminosity_pb,
      maxRuns: f.buckets.max_runs,
      idleHours: f.buckets.idle_hours,
    },
    readiness: { fileWaitHours: f.readiness.file_wait_hours },
    steps: orderSteps(
      Object.entries(f.steps).map(([stepName, s]) => ({
        name: stepName,
        kind: s.kind,
        phase: s.phase,
        input: s.input,
        perSkim: s.per_skim,
        chunkFiles: s.chunk_files,
        command: s.command,
        output: s.output,
        memoryMb: s.resources.memory_mb,
        timeLimitS: s.resources.time_limit_s,
        maxAttempts: s.max_attempts,
        priority: s.priority,
        tagChain: s.tag_chain,
      })),
    ),
    retry: {
      site: { backoffS: f.retry.site.backoff_s, factor: f.retry.site.factor, maxBackoffS: f.retry.site.max_backoff_s },
      software: { maxAttempts: f.retry.software.max_attempts, delayS: f.retry.software.delay_s },
      resource: { memoryFactor: f.retry.resource.memory_factor, maxMemoryMb: f.retry.resource.max_memory_mb },
    },
    jobs: {
      submitBatch: f.jobs.submit_batch,
      maxInFlight: f.jobs.max_in_flight,
      pollBatch: f.jobs.poll_batch,
      stallAfterS: f.jobs.stall_after_s,
      submitGraceS: f.jobs.submit_grace_s,
      planRunsPerTick: f.jobs.plan_runs_per_tick,
    },
    schedule: { runSources: f.schedule.run_sources, buckets: f.schedule.buckets, production: f.schedule.production, jobs: f.schedule.jobs },
  };
}

/** Every problem of a production file (never throws for user errors). */
export function collectProductionConfig(file: string, home: string): { config?: ProductionConfig; problems: ConfigProblem[] } {
  if (!existsSync(file)) return { problems: [{ file, path: '', message: 'file not found' }] };
  const r = readYamlFile(file);
  if (!r.ok) return { problems: r.problems };
  const parsed = ProductionFileSchema.safeParse(r.value.data ?? {});
  if (!parsed.success) return { problems: zodProblems(file, parsed.error, r.value) };
  return { config: toProductionConfig(parsed.data, file, home), problems: [] };
}

/** Parse once at start-up; fail fast listing every problem. */
export function loadProductionConfig(file: string, home: string): ProductionConfig {
  const r = collectProductionConfig(file, home);
  if (!r.config) {
    const list = r.problems.map((p) => `  ${formatProblem(p)}`).join('\n');
    throw new DomainError('INVALID_INPUT', `invalid production config ${file}: ${r.problems.length} problem(s)\n${list}`, r.problems);
  }
  return r.config;
}

export function stepByName(config: ProductionConfig, stepName: string): StepConfig | undefined {
  return config.steps.find((s) => s.name === stepName);
}

export const DEFAULT_PRODUCTION_FILE = (root: string) => join(root, 'config', 'production.yaml');
