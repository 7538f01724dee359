/**
 * Job bookkeeping benchmark: `npm run bench -- jobs [--keep]`.
 *
 * A closed bucket of 2,000 runs (12 raw files each) and 100,000 jobs for it (2,000 runs × 4 skims × 12 chunks of HLT
 * skim + 2,000 × 2 other jobs), built with the production planner's job shapes (rendered commands, declared outputs,
 * tag chains) and a no-op executor, then timed:
 * - `register_jobs_per_s`: `createJobs` of the 100,000 jobs (INSERT … SELECT FROM unnest(…) in batches,
 *   ON CONFLICT DO NOTHING on the idempotency key); target ≥ 20,000/s on PostgreSQL;
 * - `reregister_jobs_per_s`: the same call again (every key exists: a repeated tick after a restart);
 * - `plan_bucket_s`: the real planning path for the same bucket from runs and files in the database (the 96,000 skim
 *   units found already registered, so nothing new is created);
 * - `submit_jobs_per_s`: claiming and handing 10,000 jobs to the no-op executor through the job engine;
 * - `bulk_abort_10k_s`: one bulk abort of the 10,000 jobs of 200 runs (target ≤ 1 s);
 * - `progress_query_ms`: the bucket × step × state progress query over the 100,000 jobs (median of 7; target ≤ 100 ms),
 *   after VACUUM ANALYZE as autovacuum leaves the table; `progress_query_before_vacuum_ms` right after the inserts.
 * - `pg_ceiling_jobs_per_s` (PostgreSQL only): the same 100,000 rows inserted with the bare `pg` driver, calibloop's own
 *   statement and batch documents (create-jobs.ts `insertJobsSql`, `batchDocument`), two batches in flight, into a copy
 *   of the job table with the same indexes and foreign key, measured in the same run — what this machine can do at that
 *   moment without calibloop's overhead; `register_vs_ceiling` = calibloop / ceiling (≤ 1 by construction, up to noise),
 *   `register_vs_pg_boss` the median of the interleaved rounds against pg-boss (bench/jobs-peer.ts).
 *
 * - `local_executor`: N short jobs through the real engine and wrapper (see bench/jobs-throughput.ts).
 *
 * Database: PostgreSQL when DATABASE_URL is set (a fresh database, dropped afterwards unless --keep) → bench/results/
 * jobs.json; else embedded PGlite in memory → bench/results/jobs-pglite.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadAppConfig } from '../src/config/app-config.ts';
import { createDeps } from '../src/bootstrap.ts';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/observability/logger.ts';
import { loadProductionConfig } from '../src/config/production-schema.ts';
import { ROOT_DIR } from '../src/db/paths.ts';
import { SYSTEM_ACTOR } from '../src/domain/roles.ts';
import { jobForUnit, unitsForRun } from '../src/domain/production-plan.ts';
import type { NewJob } from '../src/domain/new-job.ts';
import { CREATE_BATCH, batchDocument, createJobs, insertJobsSql } from '../src/services/jobs/create-jobs.ts';
import { submitDueJobs } from '../src/services/jobs/submit-jobs.ts';
import { bulkAbort } from '../src/services/jobs/bulk-jobs.ts';
import { bucketProgress } from '../src/services/production/progress.ts';
import { planBucketProduction } from '../src/services/production/plan-production.ts';
import { freshPostgres } from './support/fresh-postgres.ts';
import { noopExecutor } from './support/noop-executor.ts';
import { localExecutorThroughput } from './jobs-throughput.ts';
import { compareWithPgBoss } from './jobs-peer.ts';
import { writeResult } from './support/write-result.ts';

const RUNS = 2000;
const FILES_PER_RUN = 12;
const FIRST_RUN = 1000;
const EXP = 12;



const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

export async function main(args: string[]): Promise<void> {
  const keep = args.includes('--keep');
  const loadAtStart = loadavg().map((x) => round(x, 1));
  const pgBase = process.env.DATABASE_URL;
  const fresh = pgBase ? await freshPostgres(pgBase, `${process.env.BENCH_DB_PREFIX ?? 'calibloop_bench'}_jobs`) : undefined;
  const db = await openDatabase(fresh ? { url: fresh.url, migrate: true, poolSize: 10 } : { migrate: true });
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-jobs-'));
  const executor = noopExecutor();
  const config = loadAppConfig({ CALIBLOOP_HOME: home, CALIBLOOP_SCHEDULER: 'off', PORT: '0' });
  const production = loadProductionConfig(join(ROOT_DIR, 'config', 'production.yaml'), home);
  production.jobs.submitBatch = 5000;
  production.jobs.maxInFlight = 1_000_000;
  const deps = await createDeps(config, { db, logger: createLogger('warn'), executor, production });
  const p = deps.prisma;
  const log = (m: string) => process.stderr.write(`[bench jobs] ${m}\n`);
  try {
    log(`database: ${db.kind} ${db.location}`);
    // a closed bucket of 2,000 runs with 12 raw files each, in set-based SQL
    const bucket = await p.bucket.create({ data: { name: 'e12_bucket1', exp: EXP, seq: 1, firstRun: FIRST_RUN, lastRun: FIRST_RUN + RUNS - 1, stage: 'producing' } });
    await p.$executeRawUnsafe(`
      INSERT INTO "Run" (exp, run, type, "startTime", "endTime", luminosity, "eventsOnline", "eventsOffline", quality, source, "bucketId", "createdAt", "updatedAt")
      SELECT ${EXP}, r, 'physics', now() - interval '30 days' + r * interval '1 hour', now() - interval '30 days' + r * interval '1 hour' + interval '55 minutes',
             1.5, 24000, 24000, '{}'::jsonb, 'bench', ${bucket.id}, now(), now()
      FROM generate_series(${FIRST_RUN}, ${FIRST_RUN + RUNS - 1}) r`);
    await p.$executeRawUnsafe(`
      INSERT INTO "RawFile" ("runId", path, status, size, checksum, events, "createdAt", "updatedAt")
      SELECT ru.id, '/data/raw/e${EXP}/r' || ru.run || '/f' || f || '.b2raw', 'transferred', 90000000, '', 2000, now(), now()
      FROM "Run" ru, generate_series(0, ${FILES_PER_RUN - 1}) f WHERE ru."bucketId" = ${bucket.id}`);

    // 100,000 job specs in the shapes the planner makes them
    const runs = await p.run.findMany({ where: { bucketId: bucket.id }, select: { exp: true, run: true, endTime: true, files: { select: { id: true, path: true, status: true } } }, orderBy: { run: 'asc' } });
    const skimStep = production.steps.find((s) => s.name === 'hlt_skim')!;
    const ctx = { bucketId: bucket.id, bucketName: bucket.name, dataDir: production.dataDir, jobsRoot: config.workDir, node: process.execPath, toolkit: join(ROOT_DIR, 'toolkit'), localdb: () => join(home, 'localdb'), tagChain: () => ['data_prompt_running'] };
    const specs: NewJob[] = [];
    for (const r of runs) {
      const units = unitsForRun([skimStep], r, { now: new Date(), fileWaitHours: 6, skims: production.skims, jobs: new Map(), outputs: new Map() });
      for (const u of units) specs.push(jobForUnit(skimStep, u, ctx));
      for (const extra of ['dqm', 'lumi']) {
        specs.push({ idempotencyKey: `bench_${extra}/-/e${r.exp}/r${r.run}`, step: `bench_${extra}`, bucketId: bucket.id, exp: r.exp, run: r.run, command: [process.execPath, '-e', '0'], inputs: [], outputs: [join(home, `${extra}-${r.run}.json`)] });
      }
    }
    if (specs.length !== 100_000) throw new Error(`expected 100000 specs, built ${specs.length}`);

    let t0 = process.hrtime.bigint();
    const reg = await createJobs(deps, specs);
    const registerS = seconds(t0);
    if (reg.created !== 100_000) throw new Error(`registered ${reg.created}`);
    log(`registered 100000 jobs in ${registerS.toFixed(2)} s`);
    t0 = process.hrtime.bigint();
    const again = await createJobs(deps, specs);
    const reregisterS = seconds(t0);
    if (again.created !== 0) throw new Error(`second registration created ${again.created}`);
    log(`re-registered (all present) in ${reregisterS.toFixed(2)} s`);

    t0 = process.hrtime.bigint();
    const plan = await planBucketProduction(deps, bucket);
    const planS = seconds(t0);
    log(`planned the bucket (${plan.runs} runs, ${plan.created} new jobs) in ${planS.toFixed(2)} s`);

    // progress over 100k jobs: median of 7 after one warm-up, right after the inserts ("cold": hint bits, no visibility
    // map yet) and after VACUUM ANALYZE, which autovacuum does by itself after a bulk insert (then the progress index
    // answers alone, index-only)
    const progressMedian = async () => {
      await bucketProgress(deps, bucket.name);
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        t0 = process.hrtime.bigint();
        const pr = await bucketProgress(deps, bucket.name);
        times.push(seconds(t0) * 1000);
        if (pr.steps.reduce((a, s) => a + s.total, 0) !== 100_000) throw new Error('progress does not add up');
      }
      return times.sort((a, b) => a - b)[3];
    };
    const progressColdMs = await progressMedian();
    await p.$executeRawUnsafe('VACUUM ANALYZE "Job"');
    const progressMs = await progressMedian();
    log(`progress query median ${progressMs.toFixed(1)} ms (before vacuum: ${progressColdMs.toFixed(1)} ms)`);

    // submission through the engine: 10,000 jobs to the no-op executor
    production.jobs.maxInFlight = 10_000;
    t0 = process.hrtime.bigint();
    const sub = await submitDueJobs(deps);
    const submitS = seconds(t0);
    if (sub.submitted !== 10_000) throw new Error(`submitted ${sub.submitted}`);
    log(`submitted 10000 jobs in ${submitS.toFixed(2)} s`);

    // bulk abort of the 10,000 jobs of 200 runs (the submitted ones are at the 'executor' too)
    const lastRun = FIRST_RUN + RUNS - 1;
    t0 = process.hrtime.bigint();
    const ab = await bulkAbort(deps, SYSTEM_ACTOR, { filter: { bucket: bucket.name, runFrom: lastRun - 199, runTo: lastRun }, reason: 'bench' });
    const abortS = seconds(t0);
    if (ab.changed !== 10_000) throw new Error(`aborted ${ab.changed}`);
    log(`aborted 10000 jobs in ${abortS.toFixed(3)} s`);

    // the ceiling: calibloop's own statement and batch documents (create-jobs.ts) with the bare `pg` driver, two batches
    // in flight as createJobs runs them, into a fresh copy of the job table with the same indexes, unique key and
    // foreign key — what registration costs without calibloop's own overhead (Prisma, validation, de-duplication)
    let ceiling: number | undefined;
    if (fresh) {
      await p.$executeRawUnsafe(`CREATE TABLE bench_job_ceiling (LIKE "Job" INCLUDING ALL)`);
      await p.$executeRawUnsafe(`ALTER TABLE bench_job_ceiling ADD FOREIGN KEY ("bucketId") REFERENCES "Bucket"(id) ON DELETE SET NULL`);
      const pool = new pg.Pool({ connectionString: fresh.url, max: 2 });
      await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
      const sql = insertJobsSql('bench_job_ceiling');
      const now = new Date();
      let next = 0;
      let inserted = 0;
      t0 = process.hrtime.bigint();
      const worker = async () => {
        for (let i = next; i < specs.length; i = next) {
          next += CREATE_BATCH;
          const res = await pool.query(sql, [batchDocument(specs.slice(i, i + CREATE_BATCH)), now.toISOString()]);
          inserted += res.rowCount ?? 0; // not `inserted += (await …)`: that reads `inserted` before the await
        }
      };
      await Promise.all([worker(), worker()]);
      ceiling = Math.round(specs.length / seconds(t0));
      await pool.end();
      if (inserted !== specs.length) throw new Error(`ceiling inserted ${inserted}`);
      log(`bare pg driver ceiling (same statement): ${ceiling} rows/s`);
    }

    // side by side with pg-boss on the same database (bench/jobs-peer.ts)
    const peer = fresh ? await compareWithPgBoss({ deps, url: fresh.url, bucketName: bucket.name, specs, log }) : undefined;

    const result = {
      benchmark: 'jobs',
      database: db.kind === 'postgres' ? 'postgresql' : 'pglite',
      date: new Date().toISOString(),
      command: 'npm run bench -- jobs',
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg_at_start: loadAtStart, loadavg_at_end: loadavg().map((x) => round(x, 1)) },
      runs: RUNS,
      jobs: 100_000,
      register_s: round(registerS),
      register_jobs_per_s: Math.round(100_000 / registerS),
      reregister_jobs_per_s: Math.round(100_000 / reregisterS),
      plan_bucket_s: round(planS),
      submit_jobs_per_s: Math.round(10_000 / submitS),
      bulk_abort_10k_s: round(abortS),
      progress_query_ms: round(progressMs, 1),
      progress_query_before_vacuum_ms: round(progressColdMs, 1),
      ...(ceiling ? { pg_ceiling_jobs_per_s: ceiling, register_vs_ceiling: round(100_000 / registerS / ceiling, 2) } : {}),
      ...(peer ? { register_vs_pg_boss: peer.register_ratio } : {}),
      ...(peer ? { vs_pg_boss: peer } : {}),
      targets: { register_jobs_per_s: '>= 20000 (PostgreSQL)', bulk_abort_10k_s: '<= 1', progress_query_ms: '<= 100' },
    };
    // end-to-end local-executor throughput through the real engine and wrapper (bench/jobs-throughput.ts)
    log('local executor throughput (real engine, wrapper, sleep jobs)');
    Object.assign(result, { local_executor: await localExecutorThroughput({ baseUrl: pgBase }) });
    const file = writeResult(db.kind === 'postgres' ? 'jobs.json' : 'jobs-pglite.json', result);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    log(`wrote ${file}`);
  } finally {
    await db.close();
    if (fresh && !keep) await fresh.drop();
    rmSync(home, { recursive: true, force: true });
  }
}
