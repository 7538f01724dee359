/**
 * What `calibloop config check` does (registered in config.ts): validates calibrations/, globaltags/ (and the skim list of config/production.yaml, the
 * demo config when present) and lists every problem as `file: path: message`. Exit code 1 when anything is wrong.
 */
import { existsSync } from 'node:fs';
import { checkConfigReport, formatProblem, type ConfigCheckReport } from '../../config/check-config.ts';

export interface ConfigCheckCliOptions {
  calibrations?: string;
  globaltags?: string;
  production?: string;
  demo?: string;
  json?: boolean;
}

export interface ConfigCheckIo {
  out: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

export const DEFAULT_PATHS = {
  calibrations: 'calibrations',
  globaltags: 'globaltags',
  production: 'config/production.yaml',
  demo: 'config/demo.yaml',
} as const;

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

function summary(report: ConfigCheckReport): string {
  const n = report.problems.length;
  const files = new Set(report.problems.map((p) => p.file)).size;
  const skims = report.skimsSource === 'production' ? 'skims from production config' : 'default skims';
  const what = `${report.calibrationFiles.length} calibration file(s), ${report.globaltagsFile}, ${skims}`;
  const demo = report.demoFile !== undefined ? `, ${report.demoFile}` : '';
  return n === 0
    ? `config check: ${what}${demo}: no problems`
    : `config check: ${what}${demo}: ${n} problem${n === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`;
}

/** Runs the check and prints the result; returns the exit code. Relative paths resolve against the current dir. */
export function runConfigCheck(
  options: ConfigCheckCliOptions,
  io: ConfigCheckIo = { out: (l) => console.log(l), env: process.env },
): number {
  const demo = options.demo ?? (existsSync(DEFAULT_PATHS.demo) ? DEFAULT_PATHS.demo : undefined);
  const report = checkConfigReport({
    calibrationsDir: options.calibrations ?? nonEmpty(io.env.CALIBLOOP_CALIBRATIONS_DIR) ?? DEFAULT_PATHS.calibrations,
    globaltagsDir: options.globaltags ?? nonEmpty(io.env.CALIBLOOP_GLOBALTAGS_DIR) ?? DEFAULT_PATHS.globaltags,
    productionFile: options.production ?? nonEmpty(io.env.CALIBLOOP_PRODUCTION_FILE) ?? DEFAULT_PATHS.production,
    ...(demo !== undefined ? { demoFile: demo } : {}),
  });
  const ok = report.problems.length === 0;
  if (options.json) {
    io.out(JSON.stringify({ ok, summary: summary(report), ...report }, null, 2));
  } else {
    for (const p of report.problems) io.out(formatProblem(p));
    io.out(summary(report));
  }
  return ok ? 0 : 1;
}

