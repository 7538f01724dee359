/**
 * Support for the runs/buckets/production/jobs tests: bounded waiting (never sleeps as assertions), the toolkit's
 * path, a production config for tests, and generating runs with the toolkit's `daq`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ROOT_DIR } from '../../src/db/paths.ts';
import { loadProductionConfig, type ProductionConfig } from '../../src/config/production-schema.ts';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadAppConfig } from '../../src/config/app-config.ts';
import { createDeps } from '../../src/bootstrap.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createMemoryLogger } from '../../src/observability/logger.ts';
import type { Deps } from '../../src/deps.ts';
import type { Executor } from '../../src/executors/executor.ts';
import { createTestDatabase } from './db.ts';

export const TOOLKIT = join(ROOT_DIR, 'toolkit', 'b2sim.mjs');
export const SHIPPED_PRODUCTION = join(ROOT_DIR, 'config', 'production.yaml');

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; returns the value or throws with `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as T;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Runs the toolkit's daq into `<dir>/raw` and `<dir>/runlists`; returns the two directories. */
export function generateRuns(dir: string, o: { exp?: number; firstRun: number; lastRun: number; filesPerRun?: number; eventsPerFile?: number; seed?: number; corruptRuns?: number[]; corruptFraction?: number; startTime?: string; runlistDir?: string }): { rawDir: string; runlistDir: string; corrupt: string[] } {
  const rawDir = join(dir, 'raw');
  const runlistDir = o.runlistDir ?? join(dir, 'runlists');
  mkdirSync(runlistDir, { recursive: true });
  const args = [TOOLKIT, 'daq', '--exp', String(o.exp ?? 12), '--first-run', String(o.firstRun), '--last-run', String(o.lastRun), '--files-per-run', String(o.filesPerRun ?? 2), '--events-per-file', String(o.eventsPerFile ?? 100), '--seed', String(o.seed ?? 7), '--raw-dir', rawDir, '--runlist-dir', runlistDir];
  if (o.corruptRuns?.length) args.push('--corrupt-runs', o.corruptRuns.join(','), '--corrupt-fraction', String(o.corruptFraction ?? 1));
  if (o.startTime) args.push('--start-time', o.startTime);
  const out = execFileSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  const summary = JSON.parse(out.trim().split('\n').pop()!);
  return { rawDir, runlistDir, corrupt: summary.corrupt ?? [] };
}

/**
 * A production.yaml for tests: the shipped steps with fewer skims and quick retries, plus overrides (deep-merged one
 * level). Written into `dir` and loaded for `home`.
 */
export function testProductionFile(dir: string, overrides: Record<string, unknown> = {}): string {
  const base: Record<string, any> = {
    data_dir: 'data',
    skims: ['hlt_bhabha', 'hlt_mumu_2trk'],
    run_sources: [{ name: 'daq', type: 'directory', path: 'runlists' }],
    buckets: { auto_open: true, run_types: ['physics'], max_duration_hours: null, max_luminosity_pb: null, max_runs: 4, idle_hours: null },
    readiness: { file_wait_hours: 6 },
    steps: {
      hlt_skim: {
        kind: 'skim', input: 'raw', per_skim: true, chunk_files: 1,
        command: ['{node}', '{toolkit}/b2sim.mjs', 'skim', '--input', '{inputs}', '--skim', '{skim}', '--output', '{output}'],
        output: '{bucket}/hlt_skim/{skim}/e{exp}_r{run}_c{chunk}.b2skim', resources: { memory_mb: 1024, time_limit_s: 120 }, max_attempts: 3, priority: 10,
      },
      cdst: {
        kind: 'cdst', input: 'hlt_skim', per_skim: true,
        command: ['{node}', '{toolkit}/b2sim.mjs', 'cdst', '--input', '{inputs}', '--output', '{output}', '--localdb', '{localdb}'],
        output: '{bucket}/cdst/{skim}/e{exp}_r{run}.b2cdst', resources: { memory_mb: 1024, time_limit_s: 120 }, max_attempts: 3, priority: 5, tag_chain: 'cdst',
      },
    },
    retry: { site: { backoff_s: 0, factor: 2, max_backoff_s: 0 }, software: { max_attempts: 2, delay_s: 0 }, resource: { memory_factor: 1.5, max_memory_mb: 4096 } },
    jobs: { submit_batch: 50, max_in_flight: 100, poll_batch: 100, stall_after_s: 600, submit_grace_s: 2, plan_runs_per_tick: 1000 },
    schedule: { run_sources: '* * * * * *', buckets: '* * * * * *', production: '* * * * * *', jobs: '* * * * * *' },
  };
  for (const [k, v] of Object.entries(overrides)) {
    base[k] = v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' && !Array.isArray(base[k]) ? { ...base[k], ...v } : v;
  }
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'production.yaml');
  writeFileSync(file, stringify(base));
  return file;
}

export function testProduction(dir: string, home: string, overrides: Record<string, unknown> = {}): ProductionConfig {
  return loadProductionConfig(testProductionFile(dir, overrides), home);
}


/** One round of the production side as the scheduler would run it, then a second passes on the test clock. */
export async function tickProduction(env: { deps: Deps; clock: ManualClock }): Promise<void> {
  const { pollRunSources } = await import('../../src/services/runs/poll-run-sources.ts');
  const { applyBucketPolicy } = await import('../../src/services/buckets/apply-bucket-policy.ts');
  const { runProductionTick } = await import('../../src/services/production/run-production-tick.ts');
  const { runJobTick } = await import('../../src/services/jobs/run-job-tick.ts');
  await pollRunSources(env.deps);
  await applyBucketPolicy(env.deps);
  await runProductionTick(env.deps);
  await runJobTick(env.deps);
  env.clock.advance(1000);
}

export interface ProductionTestEnv {
  deps: Deps;
  home: string;
  clock: ManualClock;
  logger: ReturnType<typeof createMemoryLogger>;
  close(): Promise<void>;
}

/** Deps over a fresh test database with a temp CALIBLOOP_HOME, a manual clock and a test production config. */
export async function productionEnv(o: { production?: Record<string, unknown>; executor?: Executor; concurrency?: number; db?: Awaited<ReturnType<typeof createTestDatabase>> } = {}): Promise<ProductionTestEnv> {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-prod-'));
  const config = loadAppConfig({ CALIBLOOP_HOME: home, PORT: '0', CALIBLOOP_SCHEDULER: 'off', CALIBLOOP_LOCAL_CONCURRENCY: String(o.concurrency ?? 2) });
  const db = o.db ?? (await createTestDatabase());
  const clock = new ManualClock();
  const logger = createMemoryLogger();
  const production = testProduction(join(home, 'config'), home, o.production ?? {});
  const deps = await createDeps(config, { db, clock, logger, production, ...(o.executor ? { executor: o.executor } : {}) });
  return {
    deps,
    home,
    clock,
    logger,
    async close() {
      await deps.executor.close();
      if (!o.db) await db.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Every attempt work directory of the local executor under `home`/jobs (`…/a<n>` holding a `.spec.json`). */
export function attemptDirs(home: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(d, e.name);
      if (/^a\d+$/.test(e.name) && existsSync(join(p, '.spec.json'))) out.push(p);
      else walk(p);
    }
  };
  walk(join(home, 'jobs'));
  return out;
}

/** How often the program of an attempt really started (one line per start in `.starts`, written by the wrapper). */
export function startsIn(dir: string): number {
  return existsSync(join(dir, '.starts')) ? readFileSync(join(dir, '.starts'), 'utf8').trim().split('\n').length : 0;
}

/** `node bin/calibloop.js serve` as its own process; `lines` collects its log lines (stdout by line, stderr by chunk). */
export function spawnServe(env: Record<string, string>): { child: ChildProcess; lines: string[] } {
  const lines: string[] = [];
  const child = spawn(process.execPath, [join(ROOT_DIR, 'bin', 'calibloop.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
  return { child, lines };
}

/**
 * The environment of a real `serve` process doing production in `home`: every tick each second, one bucket of 4 runs
 * auto-opened, no calibrations, 2 local slots. And the DAQ's input: 4 runs × 3 files, one corrupt file in run 2.
 */
export function serveProductionHome(home: string, databaseUrl?: string): { env: Record<string, string>; corrupt: string[] } {
  const productionFile = testProductionFile(join(home, 'config'), {
    buckets: { auto_open: true, run_types: ['physics'], max_runs: 4, max_duration_hours: null, max_luminosity_pb: null, idle_hours: null },
    schedule: { run_sources: '* * * * * *', buckets: '* * * * * *', production: '* * * * * *', jobs: '* * * * * *' },
  });
  mkdirSync(join(home, 'no-calibrations'), { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? home,
    CALIBLOOP_HOME: home,
    PORT: '0',
    CALIBLOOP_PRODUCTION_FILE: productionFile,
    CALIBLOOP_CALIBRATIONS_DIR: join(home, 'no-calibrations'),
    CALIBLOOP_LOCAL_CONCURRENCY: '2',
    LOG_LEVEL: 'info',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const { corrupt } = generateRuns(home, { firstRun: 1, lastRun: 4, filesPerRun: 3, eventsPerFile: 2500, corruptRuns: [2], corruptFraction: 0.34 });
  return { env, corrupt };
}
