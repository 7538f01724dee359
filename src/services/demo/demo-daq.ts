/**
 * The demo's DAQ side: the reference toolkit's `daq` writes a run's raw files and drops its run-list file into the
 * run-source directory, one run at a time, as data taking would. Which run comes next, and when, is decided from
 * what the orchestrator already shows (see demo-driver.ts); a run whose run-list file exists is never written twice.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '../../db/paths.ts';
import type { DemoConfig } from '../../config/demo-schema.ts';

export function runListFile(runlists: string, exp: number, run: number): string {
  return join(runlists, `e${exp}_r${run}.json`);
}

export function delivered(runlists: string, exp: number, run: number): boolean {
  return existsSync(runListFile(runlists, exp, run));
}

export async function deliverRun(demo: DemoConfig, run: number, dirs: { raw: string; runlists: string }): Promise<void> {
  const args = [
    join(ROOT_DIR, 'toolkit', 'b2sim.mjs'),
    'daq',
    '--exp', String(demo.experiment),
    '--first-run', String(run),
    '--last-run', String(run),
    '--files-per-run', String(demo.filesPerRun),
    '--events-per-file', String(demo.eventsPerFile),
    '--seed', String(demo.seed),
    '--start-time', new Date(Date.parse('2026-11-01T00:00:00Z') + (run - demo.firstRun) * 3600_000).toISOString(),
    '--raw-dir', dirs.raw,
    '--runlist-dir', dirs.runlists,
  ];
  if (demo.corruptRuns.includes(run)) args.push('--corrupt-runs', String(run), '--corrupt-fraction', String(demo.corruptFraction));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`b2sim daq for run ${run} exited ${code}: ${err.trim().slice(-500)}`))));
  });
}
