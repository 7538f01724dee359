/**
 * Helpers for the toolkit tests: run the real `node toolkit/b2sim.mjs` as a child process, make temp dirs, build a
 * basf2 local database, average the generator's truth over runs. Not a test file itself (no `.test.ts`).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const B2SIM = resolve(import.meta.dirname, '../../toolkit/b2sim.mjs');

export interface B2simRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON (every command prints exactly one summary line). */
  summary: any;
}

/** Runs one b2sim command; resolves when it exits (never rejects on a non-zero exit). */
export function b2sim(args: (string | number)[], cwd?: string): Promise<B2simRun> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [B2SIM, ...args.map(String)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => {
      const lines = stdout.trim().split('\n');
      let summary: any = null;
      try {
        summary = JSON.parse(lines[lines.length - 1]);
      } catch {
        summary = null;
      }
      res({ code, stdout, stderr, summary });
    });
  });
}

/** Like b2sim but fails the test unless the exit code is 0. */
export async function b2simOk(args: (string | number)[], cwd?: string): Promise<any> {
  const r = await b2sim(args, cwd);
  if (r.code !== 0) throw new Error(`b2sim ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.summary;
}

/** A fresh temp dir and a function removing it. */
export function makeTempDir(prefix = 'b2sim-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DbEntry {
  name: string;
  revision: number;
  iov: [number, number, number, number];
  /** Payload JSON file to copy in; or `values` to write a payload. */
  file?: string;
  values?: Record<string, number>;
  extra?: Record<string, unknown>;
}

/** Writes DIR/database.txt (lines in the given order) and the payload files. */
export function writeLocalDb(dir: string, entries: DbEntry[], header = '# written by the toolkit tests'): string {
  mkdirSync(dir, { recursive: true });
  const lines = [header];
  for (const e of entries) {
    lines.push(`dbstore/${e.name} ${e.revision} ${e.iov.join(',')}`);
    const target = join(dir, `dbstore_${e.name}_rev_${e.revision}.root`);
    if (e.file) copyFileSync(e.file, target);
    else writeFileSync(target, JSON.stringify({ name: e.name, values: e.values ?? {}, uncertainties: {}, ...(e.extra ?? {}) }));
  }
  writeFileSync(join(dir, 'database.txt'), `${lines.join('\n')}\n\n`);
  return dir;
}

const truthCache = new Map<string, Promise<any>>();

/** The generator's truth for one run (independent of the seed, so cached). */
export function truth(exp: number, run: number): Promise<any> {
  const key = `${exp}/${run}`;
  let t = truthCache.get(key);
  if (!t) {
    t = b2simOk(['truth', '--exp', exp, '--run', run]);
    truthCache.set(key, t);
  }
  return t;
}

/** The generator's true values of one payload, averaged over runs (events are spread evenly over the runs). */
export async function truthAverage(exp: number, runs: number[], payload: string): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const run of runs) {
    const t = await truth(exp, run);
    for (const [k, v] of Object.entries(t.constants[payload] as Record<string, unknown>)) {
      if (typeof v !== 'number') continue;
      sums[k] = (sums[k] ?? 0) + v;
      counts[k] = (counts[k] ?? 0) + 1;
    }
  }
  return Object.fromEntries(Object.keys(sums).map((k) => [k, sums[k] / counts[k]]));
}

/** Runs calibrate iterations 0, 1, ... in DIR/iter_<N> until the outcome is not `iterate` (at most maxIterations). */
export async function iterate(
  args: { algorithm: string; inputs: string[]; dir: string; exp: number; firstRun: number; localdb?: string; expertConfig?: object },
  maxIterations = 6,
): Promise<{ outcomes: string[]; last: any }> {
  const outcomes: string[] = [];
  let last: any = null;
  for (let i = 0; i < maxIterations; i++) {
    last = await b2simOk([
      'calibrate', '--algorithm', args.algorithm, '--input', args.inputs.join(','), '--output-dir', join(args.dir, `iter_${i}`),
      '--iteration', i, '--exp', args.exp, '--first-run', args.firstRun,
      ...(args.localdb ? ['--localdb', args.localdb] : []),
      ...(args.expertConfig ? ['--expert-config', JSON.stringify(args.expertConfig)] : []),
    ]);
    outcomes.push(last.outcome);
    if (last.outcome !== 'iterate') break;
  }
  return { outcomes, last };
}

/** (estimate − truth) / uncertainty for every key of a calibrate result. */
export function pulls(result: any, truth: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.metrics.values as Record<string, number>)) {
    out[k] = (v - truth[k]) / result.metrics.uncertainties[k];
  }
  return out;
}
