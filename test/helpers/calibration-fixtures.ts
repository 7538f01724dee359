/**
 * Fixtures of the calibration loop's tests (issue 5): a bucket produced by the real production machinery from data
 * the reference toolkit generates (daq → run lists → import → bucket → skim and cDST jobs on the local executor), the
 * ticks driven by hand, bounded waits, the generator's truth, and a copy of calibrations/ with edits.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import type { Deps } from '../../src/deps.ts';
import type { Scheduler } from '../../src/scheduler/scheduler.ts';
import { SYSTEM_ACTOR } from '../../src/domain/roles.ts';
import { importRuns } from '../../src/services/runs/import-runs.ts';
import { createBucket } from '../../src/services/buckets/create-bucket.ts';

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '../..');
export const B2SIM = join(ROOT, 'toolkit/b2sim.mjs');

export async function b2sim(args: Array<string | number>): Promise<any> {
  const { stdout } = await run(process.execPath, [B2SIM, ...args.map(String)], { maxBuffer: 64 * 1024 * 1024 });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Polls `check` until it returns a value (not undefined), calling `between` before each retry; fails after timeoutMs. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, opts: { timeoutMs?: number; between?: () => Promise<unknown>; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 240_000);
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await opts.between?.();
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 150));
  }
}

export async function bucketStage(deps: Deps, name: string): Promise<string> {
  return (await deps.prisma.bucket.findUniqueOrThrow({ where: { name } })).stage;
}

/**
 * Generates runs with the toolkit, imports them, creates a closed bucket and runs the production tick (skim and cDST
 * jobs as real child processes) until the bucket is `produced`. Returns the bucket name.
 */
export async function produceBucket(
  deps: Deps,
  scheduler: Scheduler,
  opts: { dir: string; exp?: number; firstRun: number; lastRun: number; eventsPerFile?: number; seed?: number },
): Promise<string> {
  const exp = opts.exp ?? 12;
  const raw = join(opts.dir, `raw_${opts.firstRun}`);
  const lists = join(opts.dir, `runlists_${opts.firstRun}`);
  await b2sim(['daq', '--exp', exp, '--first-run', opts.firstRun, '--last-run', opts.lastRun, '--files-per-run', 1, '--events-per-file', opts.eventsPerFile ?? 5000,
    '--seed', opts.seed ?? 7, '--raw-dir', raw, '--runlist-dir', lists, '--start-time', '2026-10-20T00:00:00Z']);
  for (const f of readdirSync(lists).sort()) await importRuns(deps, SYSTEM_ACTOR, JSON.parse(readFileSync(join(lists, f), 'utf8')), 'test');
  const b = await createBucket(deps, SYSTEM_ACTOR, { exp, firstRun: opts.firstRun, lastRun: opts.lastRun });
  const name = (b as { name: string }).name;
  await waitFor(`${name} produced`, async () => ((await bucketStage(deps, name)) === 'produced' ? true : undefined), {
    between: async () => {
      await scheduler.runOnce('production');
      await scheduler.runOnce('jobs');
    },
  });
  return name;
}

/** Runs the calibration ticks (and the job engine) until the bucket reaches one of `stages`. */
export async function calibrateUntil(deps: Deps, scheduler: Scheduler, bucket: string, stages: string[], timeoutMs = 300_000): Promise<string> {
  return waitFor(`${bucket} in ${stages.join('|')}`, async () => {
    const s = await bucketStage(deps, bucket);
    return stages.includes(s) ? s : undefined;
  }, {
    timeoutMs,
    between: async () => {
      await scheduler.runOnce('calibration-plan');
      await scheduler.runOnce('production');
      await scheduler.runOnce('jobs');
      const r = (await scheduler.runOnce('calibration-advance')) as { result?: { errors?: unknown[] } };
      if (r.result?.errors?.length) throw new Error(`calibration tick errors: ${JSON.stringify(r.result.errors)}`);
      await scheduler.runOnce('calibration-finalise');
    },
  });
}

/** A copy of calibrations/ with edits applied to the parsed YAML of some files. */
export function editedCalibrations(edits: Record<string, (doc: Record<string, any>) => void>): string {
  const dir = mkdtempSync(join(tmpdir(), 'calibloop-calibrations-'));
  cpSync(join(ROOT, 'calibrations'), dir, { recursive: true });
  for (const [name, edit] of Object.entries(edits)) {
    const file = join(dir, `${name}.yaml`);
    const doc = parse(readFileSync(file, 'utf8')) as Record<string, any>;
    edit(doc);
    writeFileSync(file, stringify(doc));
  }
  return dir;
}

const truthCache = new Map<string, any>();
export async function truth(exp: number, run: number): Promise<any> {
  const key = `${exp}/${run}`;
  if (!truthCache.has(key)) truthCache.set(key, await b2sim(['truth', '--exp', exp, '--run', run]));
  return truthCache.get(key);
}

/** True values of a payload averaged over runs (events are spread evenly over the runs of a bucket). */
export async function truthAverage(exp: number, runs: number[], payload: string): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const r of runs) {
    const t = await truth(exp, r);
    for (const [k, v] of Object.entries(t.constants[payload] as Record<string, unknown>)) if (typeof v === 'number') sums[k] = (sums[k] ?? 0) + v / runs.length;
  }
  return sums;
}

/**
 * A restarted server process, as far as one test process can make one: fresh deps (new Prisma client on the same
 * database, new executor, new scheduler) and a new HTTP server, on the same CALIBLOOP_HOME (payload store, job dirs).
 */
export async function restartedApp(db: import('../../src/db/database.ts').Database, home: string, clock: import('../../src/domain/clock.ts').Clock, config: Partial<import('../../src/config/app-config.ts').AppConfig> = {}) {
  const { loadAppConfig } = await import('../../src/config/app-config.ts');
  const { createDeps } = await import('../../src/bootstrap.ts');
  const { startServer } = await import('../../src/server.ts');
  const { createMemoryLogger } = await import('../../src/observability/logger.ts');
  const { openDatabase } = await import('../../src/db/database.ts');
  // PostgreSQL: a new connection pool, as a new process would open; PGlite (one process owns it): the same instance.
  const fresh = (db as { url?: string }).url ? await openDatabase({ url: (db as { url?: string }).url!, poolSize: 5 }) : db;
  const appConfig = { ...loadAppConfig({ CALIBLOOP_HOME: home, PORT: '0', CALIBLOOP_SCHEDULER: 'off' }), ...config };
  const deps = await createDeps(appConfig, { db: fresh, clock, logger: createMemoryLogger() });
  const server = await startServer(deps, { port: 0, host: '127.0.0.1', scheduler: false });
  return {
    deps,
    server,
    async close() {
      await server.close();
      await deps.executor.close();
      if (fresh !== db) await fresh.close();
    },
  };
}
