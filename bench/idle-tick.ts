/**
 * Idle production tick benchmark: `npm run bench -- idle-tick [--ticks N] [--keep]`.
 *
 * "Planning proportional to change" measured on a synthetic 104,000-job bucket (2,000 runs × 12 raw files, 96,000
 * skim jobs and 8,000 cDST jobs succeeded; bench/support/tick-costs.ts), seeded in seconds through the planner's job
 * shapes and `createJobs` instead of the 20-minute bucket-7 replay (`npm run bench -- bucket` measures the same on the
 * replayed bucket too). In one run:
 * - `idle_tick_ms` / `idle_tick_p95_ms`: the production tick when nothing changed (median / p95 of N ≥ 20 ticks);
 *   `mark_ms` its "nothing changed?" part, `job_tick_ms` the job engine's tick beside it (nothing due), and
 *   `idle_total_ms` both together — target ≤ 50 ms on the 100k-job bucket;
 * - `full_plan_ms`: the same tick forced to plan the whole bucket (the peer in the same run) and
 *   `idle_vs_full_plan`, the ratio;
 * - `replanned_after_change`: one raw file changed, and the next tick planned again (the mark is not only cheap).
 *
 * Database: PostgreSQL when DATABASE_URL is set (a fresh database, dropped afterwards unless --keep) →
 * bench/results/idle-tick.json; else embedded PGlite in memory → bench/results/idle-tick-pglite.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../src/config/app-config.ts';
import { createDeps } from '../src/bootstrap.ts';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/observability/logger.ts';
import { loadProductionConfig } from '../src/config/production-schema.ts';
import { ROOT_DIR } from '../src/db/paths.ts';
import { freshPostgres } from './support/fresh-postgres.ts';
import { noopExecutor } from './support/noop-executor.ts';
import { syntheticBucket, tickCosts } from './support/tick-costs.ts';
import { writeResult } from './support/write-result.ts';

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const log = (m: string) => process.stderr.write(`[bench idle-tick] ${m}\n`);

export async function main(args: string[]): Promise<void> {
  const keep = args.includes('--keep');
  const i = args.indexOf('--ticks');
  const ticks = i >= 0 ? Math.max(20, Number(args[i + 1])) : 25;
  const loadAtStart = loadavg().map((x) => round(x));
  const pgBase = process.env.DATABASE_URL;
  const fresh = pgBase ? await freshPostgres(pgBase, `${process.env.BENCH_DB_PREFIX ?? 'calibloop_bench'}_idle`) : undefined;
  const db = await openDatabase(fresh ? { url: fresh.url, migrate: true, poolSize: 4 } : { migrate: true });
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-idle-'));
  const config = loadAppConfig({ CALIBLOOP_HOME: home, CALIBLOOP_SCHEDULER: 'off', PORT: '0' });
  const production = loadProductionConfig(join(ROOT_DIR, 'config', 'production.yaml'), home);
  const deps = await createDeps(config, { db, logger: createLogger('warn'), executor: noopExecutor(), production });
  try {
    log(`database: ${db.kind} ${db.location}`);
    let t0 = process.hrtime.bigint();
    const big = await syntheticBucket(deps, home);
    // statistics and visibility as autovacuum keeps them on a server that has been up a while
    await deps.prisma.$executeRawUnsafe('VACUUM ANALYZE');
    const seedS = Number(process.hrtime.bigint() - t0) / 1e9;
    log(`seeded a ${big.jobs}-job bucket in ${seedS.toFixed(1)} s`);
    t0 = process.hrtime.bigint();
    const costs = await tickCosts(deps, big.id, { fullPlans: 5, idleTicks: ticks });
    log(`full plan ${costs.full_plan_ms} ms; idle tick ${costs.idle_tick_ms} ms (p95 ${costs.idle_tick_p95_ms}), mark ${costs.mark_ms} ms, job tick ${costs.job_tick_ms} ms; replanned after a change: ${costs.replanned_after_change}`);
    const result = {
      benchmark: 'idle-tick',
      database: db.kind === 'postgres' ? 'postgresql' : 'pglite',
      date: new Date().toISOString(),
      command: 'npm run bench -- idle-tick',
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg_at_start: loadAtStart, loadavg_at_end: loadavg().map((x) => round(x)) },
      bucket_jobs: big.jobs,
      seed_s: round(seedS),
      ...costs,
      targets: { idle_total_ms: '<= 50 (median, 100k-job bucket)', replanned_after_change: 'true' },
    };
    const file = writeResult(db.kind === 'postgres' ? 'idle-tick.json' : 'idle-tick-pglite.json', result);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    log(`wrote ${file}`);
  } finally {
    await deps.executor.close();
    await db.close();
    if (fresh && !keep) await fresh.drop();
    rmSync(home, { recursive: true, force: true });
  }
}
