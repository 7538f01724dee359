/**
 * Reads and checks the configuration directories without ever throwing for a user error: every problem becomes a
 * `{file, path, message}` entry so that `calibloop config check` can list all of them at once. The loaders in
 * `load-config.ts` use the same collectors and throw when anything was found.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { findCycles, formatCycle } from '../domain/calibration-graph.ts';
import {
  CalibrationFileSchema,
  toCalibrationDefinition,
  type CalibrationDefinition,
  type CalibrationFile,
} from './calibration-schema.ts';
import { DemoFileSchema, toDemoConfig, type DemoConfig } from './demo-schema.ts';
import { GlobalTagsFileSchema, toGlobalTagConfig, type GlobalTagConfig } from './globaltags-schema.ts';

export interface ConfigProblem {
  /** File (or directory) the problem is in, as given by the caller's paths. */
  file: string;
  /** Field path inside the file, e.g. `input_data_filters.hlt_bhabha[1]`; empty for the file as a whole. */
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
}

/** The skims of docs/contracts.md, used when config/production.yaml does not exist. */
export const DEFAULT_SKIMS = ['hlt_bhabha', 'hlt_mumu_2trk', 'hlt_gamma_gamma', 'hlt_hadron'] as const;

/** The global tag configuration file inside the globaltags directory. */
export const GLOBALTAGS_FILE = 'prompt.yaml';

type PathKey = string | number;

export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? k : `.${k}`;
  }
  return out;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.path === '' ? '' : ` ${p.path}:`;
  const line = p.line !== undefined ? ` (line ${p.line})` : '';
  return `${p.file}:${where} ${p.message}${line}`;
}

interface YamlRead {
  data: unknown;
  /** Line of the node at `path`, or of its nearest existing ancestor. */
  lineOf(path: readonly PathKey[]): number | undefined;
}

/** Reads one YAML file; syntax errors (with line and column) become problems. */
export function readYamlFile(file: string): { ok: true; value: YamlRead } | { ok: false; problems: ConfigProblem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'file not found' : `cannot read file: ${(e as Error).message}`;
    return { ok: false, problems: [{ file, path: '', message }] };
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0]);
        const firstLine = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        return {
          file,
          path: '',
          message: `YAML syntax error at line ${pos.line}, column ${pos.col}: ${firstLine}`,
          line: pos.line,
        };
      }),
    };
  }
  const lineOf = (path: readonly PathKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { ok: true, value: { data: doc.toJS(), lineOf } };
}

/** zod issues → problems, one per unknown key, with lines. */
export function zodProblems(file: string, error: z.ZodError, read?: YamlRead): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const add = (path: PathKey[], message: string) => {
    const line = read?.lineOf(path);
    out.push({ file, path: formatPath(path), message, ...(line !== undefined ? { line } : {}) });
  };
  for (const issue of error.issues) {
    const path = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...path, key], `unknown key "${key}"`);
    } else if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
      add(path, `missing required key (${issue.message.replace(/^Invalid input: /, '')})`);
    } else {
      add(path, issue.message);
    }
  }
  return out;
}

function parseYamlWith<S extends z.ZodType>(
  file: string,
  schema: S,
): { ok: true; value: z.output<S>; read: YamlRead } | { ok: false; problems: ConfigProblem[]; raw?: unknown } {
  const r = readYamlFile(file);
  if (!r.ok) return r;
  if (r.value.data === null || r.value.data === undefined) {
    return { ok: false, problems: [{ file, path: '', message: 'file is empty' }] };
  }
  const parsed = schema.safeParse(r.value.data);
  if (!parsed.success) return { ok: false, problems: zodProblems(file, parsed.error, r.value), raw: r.value.data };
  return { ok: true, value: parsed.data, read: r.value };
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.file < b.p.file ? -1 : a.p.file > b.p.file ? 1 : (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i))
    .map(({ p }) => p);
}

// --- production skims -------------------------------------------------------------------------------------------

/** Only the key this module needs; the production schema is owned elsewhere. */
const ProductionSkimsSchema = z.looseObject({
  skims: z
    .array(z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) })]))
    .min(1)
    .optional(),
});

export interface ProductionSkims {
  skims: string[];
  /** Where the list came from. */
  source: 'production' | 'default';
  problems: ConfigProblem[];
}

/** The skim names of `productionFile`'s top-level `skims:`; the contract's four when the file or key is absent. */
export function readProductionSkims(productionFile: string): ProductionSkims {
  const fallback = (problems: ConfigProblem[] = []): ProductionSkims => ({
    skims: [...DEFAULT_SKIMS],
    source: 'default',
    problems,
  });
  if (!existsSync(productionFile)) return fallback();
  const r = parseYamlWith(productionFile, ProductionSkimsSchema);
  if (!r.ok) return fallback(r.problems);
  if (r.value.skims === undefined) return fallback();
  return {
    skims: r.value.skims.map((s) => (typeof s === 'string' ? s : s.name)),
    source: 'production',
    problems: [],
  };
}

// --- calibrations -----------------------------------------------------------------------------------------------

export interface CollectCalibrationsOptions {
  /** Known skim names; when given, every `input_data_names` entry must be one of them. */
  skims?: readonly string[];
  /** Named in the unknown-skim message. */
  skimsSource?: string;
}

export interface CollectedCalibrations {
  /** Valid definitions, sorted by name (also when other files had problems). */
  calibrations: CalibrationDefinition[];
  /** Calibration files read, sorted. */
  files: string[];
  problems: ConfigProblem[];
}

const isYamlFile = (f: string) => !f.startsWith('.') && ['.yaml', '.yml'].includes(extname(f));

export function listYamlFiles(dir: string): string[] | undefined {
  try {
    if (!statSync(dir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return readdirSync(dir).filter(isYamlFile).sort().map((f) => join(dir, f));
}

export function collectCalibrations(dir: string, options: CollectCalibrationsOptions = {}): CollectedCalibrations {
  const files = listYamlFiles(dir);
  if (files === undefined) {
    return { calibrations: [], files: [], problems: [{ file: dir, path: '', message: 'directory not found' }] };
  }
  const problems: ConfigProblem[] = [];
  if (files.length === 0) problems.push({ file: dir, path: '', message: 'no calibration files (*.yaml)' });

  interface Valid {
    file: string;
    parsed: CalibrationFile;
    read: YamlRead;
  }
  const valid: Valid[] = [];
  // Names a dependency may refer to: valid names plus the best guess for invalid files, so a broken file does not
  // also make every calibration depending on it report an unknown dependency.
  const knownNames = new Set<string>();
  for (const file of files) {
    const base = basename(file, extname(file));
    knownNames.add(base);
    const r = parseYamlWith(file, CalibrationFileSchema);
    if (!r.ok) {
      problems.push(...r.problems);
      const raw = r.raw as { name?: unknown } | undefined;
      if (raw && typeof raw === 'object' && typeof raw.name === 'string') knownNames.add(raw.name);
      continue;
    }
    knownNames.add(r.value.name);
    if (r.value.name !== base) {
      problems.push(at(file, r.read, ['name'], `name "${r.value.name}" must equal the file's base name "${base}"`));
    }
    valid.push({ file, parsed: r.value, read: r.read });
  }

  // Duplicate names: the first file (sorted) keeps the name.
  const firstByName = new Map<string, Valid>();
  const unique: Valid[] = [];
  for (const v of valid) {
    const first = firstByName.get(v.parsed.name);
    if (first) {
      problems.push(at(v.file, v.read, ['name'], `duplicate calibration name "${v.parsed.name}" (also in ${first.file})`));
      continue;
    }
    firstByName.set(v.parsed.name, v);
    unique.push(v);
  }

  for (const v of unique) {
    v.parsed.depends_on.forEach((d, i) => {
      if (!knownNames.has(d)) {
        problems.push(at(v.file, v.read, ['depends_on', i], `depends on unknown calibration "${d}"`));
      }
    });
  }

  const nodes = unique.map((v) => ({ name: v.parsed.name, dependsOn: v.parsed.depends_on }));
  for (const cycle of findCycles(nodes)) {
    const v = firstByName.get(cycle[0])!;
    problems.push(at(v.file, v.read, ['depends_on'], `dependency cycle: ${formatCycle(cycle)}`));
  }

  if (options.skims !== undefined) {
    const skims = new Set(options.skims);
    const from = options.skimsSource ? ` (from ${options.skimsSource})` : '';
    for (const v of unique) {
      v.parsed.input_data_names.forEach((n, i) => {
        if (!skims.has(n)) {
          problems.push(
            at(v.file, v.read, ['input_data_names', i], `unknown skim "${n}"; known skims${from}: ${[...skims].join(', ')}`),
          );
        }
      });
    }
  }

  const producer = new Map<string, Valid>();
  for (const v of unique) {
    v.parsed.produced_payloads.forEach((p, i) => {
      const other = producer.get(p);
      if (other) {
        problems.push(
          at(
            v.file,
            v.read,
            ['produced_payloads', i],
            `payload "${p}" is also produced by calibration "${other.parsed.name}" (${other.file})`,
          ),
        );
      } else producer.set(p, v);
    });
  }

  const calibrations = unique
    .map((v) => toCalibrationDefinition(v.parsed, v.file))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { calibrations, files, problems: sortProblems(problems) };
}

function at(file: string, read: YamlRead, path: PathKey[], message: string): ConfigProblem {
  const line = read.lineOf(path);
  return { file, path: formatPath(path), message, ...(line !== undefined ? { line } : {}) };
}

// --- global tags and demo ---------------------------------------------------------------------------------------

export function collectGlobalTags(dir: string): { config?: GlobalTagConfig; file: string; problems: ConfigProblem[] } {
  const file = join(dir, GLOBALTAGS_FILE);
  if (listYamlFiles(dir) === undefined) return { file, problems: [{ file: dir, path: '', message: 'directory not found' }] };
  const r = parseYamlWith(file, GlobalTagsFileSchema);
  if (!r.ok) return { file, problems: r.problems };
  return { config: toGlobalTagConfig(r.value), file, problems: [] };
}

export function collectDemoConfig(file: string): { config?: DemoConfig; problems: ConfigProblem[] } {
  const r = parseYamlWith(file, DemoFileSchema);
  if (!r.ok) return { problems: r.problems };
  return { config: toDemoConfig(r.value), problems: [] };
}

// --- everything -------------------------------------------------------------------------------------------------

export interface CheckConfigOptions {
  calibrationsDir: string;
  globaltagsDir: string;
  /** config/production.yaml; only its `skims:` key is read here. Absent file → the contract's four skims. */
  productionFile: string;
  /** config/demo.yaml; checked only when given. */
  demoFile?: string;
}

export interface ConfigCheckReport {
  problems: ConfigProblem[];
  calibrationFiles: string[];
  globaltagsFile: string;
  skims: string[];
  skimsSource: 'production' | 'default';
  demoFile?: string;
}

export function checkConfigReport(options: CheckConfigOptions): ConfigCheckReport {
  const skims = readProductionSkims(options.productionFile);
  const calibrations = collectCalibrations(options.calibrationsDir, {
    skims: skims.skims,
    skimsSource: skims.source === 'production' ? options.productionFile : 'docs/contracts.md',
  });
  const globaltags = collectGlobalTags(options.globaltagsDir);
  const demo = options.demoFile !== undefined ? collectDemoConfig(options.demoFile) : undefined;
  return {
    problems: [...calibrations.problems, ...globaltags.problems, ...skims.problems, ...(demo?.problems ?? [])],
    calibrationFiles: calibrations.files,
    globaltagsFile: globaltags.file,
    skims: skims.skims,
    skimsSource: skims.source,
    ...(options.demoFile !== undefined ? { demoFile: options.demoFile } : {}),
  };
}

/** All problems of the configuration; empty when it is fine. Never throws for user errors. */
export function checkConfig(options: CheckConfigOptions): ConfigProblem[] {
  return checkConfigReport(options).problems;
}
