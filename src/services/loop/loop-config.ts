/**
 * What the loop's use cases read from configuration, parsed once per process (per Deps) and cached:
 * - `globaltags/prompt.yaml`: tag names, chains, the fix window's length and closing-soon lead;
 * - `calibrations/`: which detector each payload belongs to (fix uploads are scoped by it);
 * - `config/reprocessing.yaml` (beside production.yaml, optional): the final reprocessing campaign's settings.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { loadCalibrations, loadGlobalTags } from '../../config/load-config.ts';
import type { GlobalTagConfig } from '../../config/globaltags-schema.ts';
import { readYamlFile, zodProblems, formatProblem } from '../../config/check-config.ts';
import { DomainError } from '../../domain/errors.ts';
import { DEFAULT_REQUIREMENTS, type RunRequirements } from '../../domain/reprocessing.ts';

export const ReprocessingFileSchema = z
  .strictObject({
    auto_launch: z
      .boolean()
      .default(false)
      .describe('Launch the campaign as soon as the bucket is blessed (as "system") instead of waiting for the data-production manager'),
    run_types: z.array(z.string().min(1)).min(1).default(DEFAULT_REQUIREMENTS.runTypes).describe('Run types reprocessed'),
    require_good: z
      .array(z.string().min(1))
      .default(DEFAULT_REQUIREMENTS.requireGood)
      .describe('Detectors whose quality flag must be good for a run to be reprocessed'),
    accept_ugly: z.boolean().default(DEFAULT_REQUIREMENTS.acceptUgly).describe('Accept runs flagged ugly (usable with caveats)'),
    warn_failed_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('Notify the data-production manager once when more than this fraction of the selected runs failed'),
    fail_failed_fraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('When every job has ended: the campaign is failed (not finished) if more than this fraction of runs failed'),
  })
  .describe('Final mDST reprocessing campaigns (config/reprocessing.yaml)');

export interface ReprocessingSettings {
  autoLaunch: boolean;
  requirements: RunRequirements;
  warnFailedFraction: number;
  failFailedFraction: number;
}

export interface LoopConfig {
  globalTags: GlobalTagConfig;
  /** payload name → detector */
  payloadDetectors: Map<string, string>;
  reprocessing: ReprocessingSettings;
}

export function reprocessingFile(deps: Pick<Deps, 'config'>): string {
  return join(dirname(deps.config.productionFile), 'reprocessing.yaml');
}

export function loadReprocessingSettings(file: string): ReprocessingSettings {
  let raw: unknown = {};
  if (existsSync(file)) {
    const r = readYamlFile(file);
    if (!r.ok) throw new DomainError('INVALID_INPUT', `invalid ${file}`, r.problems);
    raw = r.value.data ?? {};
  }
  const parsed = ReprocessingFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = zodProblems(file, parsed.error);
    throw new DomainError('INVALID_INPUT', `invalid ${file}:\n${problems.map((p) => '  ' + formatProblem(p)).join('\n')}`, problems);
  }
  const f = parsed.data;
  return {
    autoLaunch: f.auto_launch,
    requirements: { runTypes: f.run_types, requireGood: f.require_good, acceptUgly: f.accept_ugly },
    warnFailedFraction: f.warn_failed_fraction,
    failFailedFraction: f.fail_failed_fraction,
  };
}

const cache = new WeakMap<object, LoopConfig>();

export function loopConfig(deps: Pick<Deps, 'config'>): LoopConfig {
  const hit = cache.get(deps.config);
  if (hit) return hit;
  const calibrations = loadCalibrations(deps.config.calibrationsDir);
  const payloadDetectors = new Map<string, string>();
  for (const c of calibrations) for (const p of c.producedPayloads) payloadDetectors.set(p, c.detector);
  const cfg: LoopConfig = {
    globalTags: loadGlobalTags(deps.config.globaltagsDir),
    payloadDetectors,
    reprocessing: loadReprocessingSettings(reprocessingFile(deps)),
  };
  cache.set(deps.config, cfg);
  return cfg;
}
