/**
 * One calibration definition, `calibrations/<name>.yaml`, mirroring Belle II's `CalibrationSettings` plus what the
 * orchestrator needs to run it (command template, resources, iterations, IoV granularity).
 *
 * Files use snake_case keys (Belle II style); `CalibrationFile` is the parsed input, `CalibrationDefinition` the
 * resolved camelCase form the rest of calibloop uses. Checks that need more than one file (unknown dependencies,
 * cycles, unknown skims, payloads produced twice) live in `check-config.ts`.
 */
import { z } from 'zod';
import { COMMAND_PLACEHOLDERS, type CommandPlaceholder } from '../domain/command-template.ts';
import {
  DETECTORS,
  bindFilterDetector,
  parseInputFilter,
  type Detector,
  type InputFilter,
} from '../domain/input-filters.ts';

export { DETECTORS, type Detector } from '../domain/input-filters.ts';

export const INPUT_DATA_FORMATS = ['raw', 'cdst', 'mdst', 'udst'] as const;
export type InputDataFormat = (typeof INPUT_DATA_FORMATS)[number];

/** `bucket`: one open-ended IoV from the bucket's first run. `run`: one IoV per run. */
export const IOV_GRANULARITIES = ['bucket', 'run'] as const;
export type IovGranularity = (typeof IOV_GRANULARITIES)[number];

// One list of placeholders for every command template (calibrations and production steps).
export { COMMAND_PLACEHOLDERS, type CommandPlaceholder };

/** The reference toolkit's calibrate command; used when a file gives no `command`. */
export const DEFAULT_CALIBRATION_COMMAND: readonly string[] = [
  '{node}',
  '{toolkit}/b2sim.mjs',
  'calibrate',
  '--algorithm',
  '{algorithm}',
  '--input-list',
  '{inputList}',
  '--output-dir',
  '{outputDir}',
  '--iteration',
  '{iteration}',
  '--exp',
  '{exp}',
  '--first-run',
  '{firstRun}',
  '--localdb',
  '{localdb}',
  '--expert-config',
  '{expertConfig}',
];

export const CALIBRATION_NAME_MAX = 64;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const IDENT_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

/**
 * Problems with the placeholders of one argv element: unknown names and stray braces. Shared with other command
 * templates (production steps) so every template speaks the same language.
 */
export function commandTemplateProblems(
  arg: string,
  known: readonly string[] = COMMAND_PLACEHOLDERS,
): string[] {
  const problems: string[] = [];
  const stripped = arg.replace(/\{([^{}]*)\}/g, (_m, name: string) => {
    if (!known.includes(name)) {
      problems.push(`unknown placeholder "{${name}}"; known: ${known.map((k) => `{${k}}`).join(' ')}`);
    }
    return '';
  });
  if (/[{}]/.test(stripped)) problems.push(`unbalanced "{" or "}" in "${arg}"`);
  return problems;
}

const uniqueList = <T extends z.ZodType<string>>(item: T, what: string) =>
  z.array(item).superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((v, i) => {
      if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate ${what} "${v}"` });
      seen.add(v);
    });
  });

const filterText = z
  .string()
  .superRefine((text, ctx) => {
    const r = parseInputFilter(text);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: `bad filter "${text}": ${r.error}` });
  })
  .describe('One clause "[NOT ]<key> <value>"; keys run_type, data_quality[.<detector>|.all], beam_energy, magnet');

function hasInputShape(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const { input_data_names: names, input_data_filters: filters } = v as Record<string, unknown>;
  return (
    Array.isArray(names) &&
    names.every((n) => typeof n === 'string') &&
    typeof filters === 'object' &&
    filters !== null &&
    !Array.isArray(filters)
  );
}

export const CalibrationFileSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(CALIBRATION_NAME_MAX)
      .regex(NAME_RE, 'use letters, digits, "_", "-" and "." only, starting with a letter or digit')
      .describe(`Unique calibration name (≤ ${CALIBRATION_NAME_MAX} chars); must equal the file's base name`),
    expert_usernames: uniqueList(z.string().regex(USERNAME_RE, 'not a valid username'), 'username')
      .min(1)
      .describe('Usernames of the detector experts responsible for this calibration (contacted on failures)'),
    description: z.string().trim().min(1).describe('What the calibration determines and from which data'),
    detector: z.enum(DETECTORS).describe('Detector (subsystem) the calibration belongs to; scopes expert rights'),
    input_data_formats: uniqueList(z.enum(INPUT_DATA_FORMATS), 'format')
      .min(1)
      .describe('Data formats the calibration reads: a subset of raw, cdst, mdst, udst'),
    input_data_names: uniqueList(z.string().min(1), 'input name')
      .min(1)
      .describe('Names of the input data (HLT calibration skims, e.g. hlt_bhabha) the calibration reads'),
    input_data_filters: z
      .record(z.string(), z.array(filterText))
      .default({})
      .describe('Per input name, clauses a run must all satisfy for its data to be used ("NOT " negates)'),
    depends_on: uniqueList(z.string().min(1), 'dependency')
      .default([])
      .describe('Calibrations whose payloads this one reads; they run first and their failure blocks this one'),
    expert_config: z
      .record(z.string(), z.json())
      .default({})
      .describe('Free-form JSON object passed to the algorithm as {expertConfig}; experts may override per request'),
    produced_payloads: uniqueList(z.string().regex(IDENT_RE, 'payload names are identifiers'), 'payload')
      .min(1)
      .describe('Names of the payloads the calibration produces; each payload has exactly one producing calibration'),
    algorithm: z
      .string()
      .regex(IDENT_RE, 'algorithm names are identifiers')
      .describe('Name of the toolkit calibration algorithm, substituted for {algorithm}'),
    command: z
      .array(z.string())
      .min(1)
      .default([...DEFAULT_CALIBRATION_COMMAND])
      .superRefine((argv, ctx) => {
        argv.forEach((arg, i) => {
          for (const message of commandTemplateProblems(arg)) ctx.addIssue({ code: 'custom', path: [i], message });
        });
      })
      .describe('argv template of one iteration, run without a shell; placeholders per docs/contracts.md'),
    resources: z
      .strictObject({
        memory_mb: z.number().int().min(64).max(1_048_576).default(2048).describe('Memory limit per job in MiB'),
        time_limit_s: z.number().int().min(1).max(7 * 24 * 3600).default(3600).describe('Wall-clock limit per job, s'),
      })
      .prefault({})
      .describe('Resources of one algorithm job'),
    max_iterations: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe('Iterations before giving up when the algorithm keeps answering "iterate" (Belle II CAF default 5)'),
    iov_granularity: z
      .enum(IOV_GRANULARITIES)
      .default('bucket')
      .describe('bucket: one open-ended IoV from the bucket\'s first run; run: one IoV per run'),
    min_events: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Minimum number of input events; with fewer the calibration ends as not_enough_data without running'),
  })
  .superRefine(
    (c, ctx) => {
      const inputs = new Set(c.input_data_names);
      for (const key of Object.keys(c.input_data_filters)) {
        if (!inputs.has(key)) {
          ctx.addIssue({
            code: 'custom',
            path: ['input_data_filters', key],
            message: `filters for "${key}", which is not in input_data_names (${c.input_data_names.join(', ')})`,
          });
        }
      }
    },
    // Also report it when other fields are broken, as long as the two fields it reads have the right shape.
    { when: (payload) => hasInputShape(payload.value) },
  )
  .describe('A calibration definition (calibrations/<name>.yaml)');

export type CalibrationFileInput = z.input<typeof CalibrationFileSchema>;
export type CalibrationFile = z.output<typeof CalibrationFileSchema>;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The resolved calibration the orchestrator works with. */
export interface CalibrationDefinition {
  name: string;
  expertUsernames: string[];
  description: string;
  detector: Detector;
  inputDataFormats: InputDataFormat[];
  inputDataNames: string[];
  /** Every input name has an entry (empty list = no filter); `data_quality` clauses are bound to a detector. */
  inputDataFilters: Record<string, InputFilter[]>;
  dependsOn: string[];
  expertConfig: Record<string, JsonValue>;
  producedPayloads: string[];
  algorithm: string;
  command: string[];
  resources: { memoryMb: number; timeLimitS: number };
  maxIterations: number;
  iovGranularity: IovGranularity;
  minEvents?: number;
  /** File the definition came from, when loaded from disk. */
  sourceFile?: string;
}

/** Resolves a validated file (its filters already parse). */
export function toCalibrationDefinition(file: CalibrationFile, sourceFile?: string): CalibrationDefinition {
  const inputDataFilters: Record<string, InputFilter[]> = {};
  for (const input of file.input_data_names) {
    inputDataFilters[input] = (file.input_data_filters[input] ?? []).map((text) => {
      const r = parseInputFilter(text);
      if (!r.ok) throw new Error(`unvalidated filter "${text}": ${r.error}`);
      return bindFilterDetector(r.filter, file.detector);
    });
  }
  return {
    name: file.name,
    expertUsernames: [...file.expert_usernames],
    description: file.description,
    detector: file.detector,
    inputDataFormats: [...file.input_data_formats],
    inputDataNames: [...file.input_data_names],
    inputDataFilters,
    dependsOn: [...file.depends_on],
    expertConfig: file.expert_config as Record<string, JsonValue>,
    producedPayloads: [...file.produced_payloads],
    algorithm: file.algorithm,
    command: [...file.command],
    resources: { memoryMb: file.resources.memory_mb, timeLimitS: file.resources.time_limit_s },
    maxIterations: file.max_iterations,
    iovGranularity: file.iov_granularity,
    ...(file.min_events !== undefined ? { minEvents: file.min_events } : {}),
    ...(sourceFile !== undefined ? { sourceFile } : {}),
  };
}
