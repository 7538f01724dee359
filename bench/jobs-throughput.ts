/**
 * End-to-end local-executor throughput, part of `npm run bench -- jobs` (its `local_executor` section; run alone with
 * `node --import tsx bench/jobs-throughput.ts`).
 *
 * N short jobs (`sleep`) go through the real server: `startServer` with its scheduler on the shipped production
 * config, the job engine's tick (claim, submit, poll, outcome) and the real wrapper (`local-job-wrapper.mjs`), with
 * the default concurrency (the cores). The engine keeps only about twice the concurrency inside the executor, so every
 * refill depends on the engine noticing an ended job — the event-driven path (`executor.onJobEnded` → job tick).
 * Measured from each wrapper's own times in `.exit` (startedAt = wrapper running, finishedAt = about to exit):
 * - `slot_utilisation`: busy slot-seconds / available slot-seconds (concurrency × first start … last finish);
 * - `gap_ms`: for the k-th start (k ≥ concurrency), its start − the (k − concurrency)-th finish: how long a freed slot
 *   stayed empty; median and p90.
 * Ceiling in the same run (the machine is shared): the same jobs handed to a bare LocalExecutor all at once (no
 * database, no engine): what the wrapper and this machine allow; the report gives engine ÷ ceiling.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../src/config/app-config.ts';
import { createDeps } from '../src/bootstrap.ts';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startServer } from '../src/server.ts';
import { createJobs } from '../src/services/jobs/create-jobs.ts';
import { createLocalExecutor } from '../src/executors/local-executor.ts';
import { freshPostgres } from './support/fresh-postgres.ts';

export interface ThroughputOptions {
  jobs?: number;
  jobSeconds?: number;
  /** PostgreSQL server to make a fresh database on; PGlite in memory when absent */
  baseUrl?: string;
}

interface Window {
  start: number;
  finish: number;
}

export function slotStats(windows: Window[], concurrency: number) {
  const starts = windows.map((w) => w.start).sort((a, b) => a - b);
  const finishes = windows.map((w) => w.finish).sort((a, b) => a - b);
  const span = finishes[finishes.length - 1] - starts[0];
  const busy = windows.reduce((s, w) => s + (w.finish - w.start), 0);
  const gaps: number[] = [];
  for (let k = concurrency; k < starts.length; k++) gaps.push(Math.max(0, starts[k] - finishes[k - concurrency]));
  gaps.sort((a, b) => a - b);
  const at = (q: number) => (gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))] : 0);
  return {
    span_s: round(span / 1000, 2),
    jobs_per_s: round(windows.length / (span / 1000), 2),
    slot_utilisation: round(busy / (concurrency * span), 3),
    gap_median_ms: Math.round(at(0.5)),
    gap_p90_ms: Math.round(at(0.9)),
  };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function windowOf(workDir: string): Window {
  const e = JSON.parse(readFileSync(join(workDir, '.exit'), 'utf8')) as { startedAt: string; finishedAt: string };
  return { start: Date.parse(e.startedAt), finish: Date.parse(e.finishedAt) };
}

async function throughEngine(n: number, seconds: number, concurrency: number, baseUrl?: string) {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-tp-'));
  const fresh = baseUrl ? await freshPostgres(baseUrl, `${process.env.BENCH_DB_PREFIX ?? 'calibloop_bench'}_tp`) : undefined;
  const db = await openDatabase(fresh ? { url: fresh.url, migrate: true } : { migrate: true });
  const config = loadAppConfig({ CALIBLOOP_HOME: home, PORT: '0', CALIBLOOP_LOCAL_CONCURRENCY: String(concurrency), CALIBLOOP_SCHEDULER: 'on' });
  const deps = await createDeps(config, { db, logger: createLogger('error') });
  const server = await startServer(deps, { port: 0, host: '127.0.0.1' });
  try {
    const t0 = Date.now();
    await createJobs(deps, Array.from({ length: n }, (_, i) => ({
      idempotencyKey: `bench_sleep/${i}`, step: 'bench_sleep', command: ['sleep', String(seconds)], timeLimitS: 60, memoryMb: 64,
    })));
    // the first submission waits for the job tick's next firing (a safety-net cron): creation is not one of the events
    for (;;) {
      const left = await deps.prisma.job.count({ where: { step: 'bench_sleep', state: { notIn: ['succeeded', 'failed'] } } });
      if (left === 0) break;
      if (Date.now() - t0 > 10 * 60_000) throw new Error(`${left} bench jobs still unfinished after 10 min`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const rows = await deps.prisma.job.findMany({ where: { step: 'bench_sleep' }, select: { state: true, executorJobId: true } });
    const failed = rows.filter((r) => r.state !== 'succeeded').length;
    if (failed) throw new Error(`${failed} bench jobs did not succeed`);
    return slotStats(rows.map((r) => windowOf(r.executorJobId!)), concurrency);
  } finally {
    await server.close();
    await deps.executor.close();
    await db.close();
    if (fresh) await fresh.drop();
    rmSync(home, { recursive: true, force: true });
  }
}

async function bareExecutor(n: number, seconds: number, concurrency: number) {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-bare-'));
  const executor = createLocalExecutor({ concurrency });
  try {
    const specs = Array.from({ length: n }, (_, i) => {
      const workDir = join(home, `j${i}`);
      mkdirSync(workDir, { recursive: true });
      return { key: `bare/${i}`, command: ['sleep', String(seconds)], workDir, memoryMb: 64, timeLimitS: 60, logPath: join(workDir, 'log') };
    });
    const ids = await executor.submit(specs);
    for (;;) {
      const st = await executor.poll(ids);
      if ([...st.values()].every((s) => ['succeeded', 'failed', 'cancelled', 'lost'].includes(s.state))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return slotStats(ids.map(windowOf), concurrency);
  } finally {
    await executor.close();
    rmSync(home, { recursive: true, force: true });
  }
}

export async function localExecutorThroughput(opts: ThroughputOptions = {}) {
  const n = opts.jobs ?? 120;
  const seconds = opts.jobSeconds ?? 0.5;
  const concurrency = availableParallelism();
  const ceiling = await bareExecutor(n, seconds, concurrency);
  const engine = await throughEngine(n, seconds, concurrency, opts.baseUrl);
  return {
    jobs: n,
    job_command: `sleep ${seconds}`,
    concurrency,
    engine,
    ceiling_bare_executor: ceiling,
    engine_vs_ceiling_jobs_per_s: round(engine.jobs_per_s / ceiling.jobs_per_s, 2),
    targets: { slot_utilisation: '>= 0.9', gap_median_ms: '<= 200' },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await localExecutorThroughput({ baseUrl: process.env.DATABASE_URL });
  const out = JSON.stringify(r, null, 2);
  process.stdout.write(out + '\n');
  if (process.argv.includes('--write')) writeFileSync(join('bench', 'results', 'jobs-throughput.json'), out + '\n');
  process.exit(0);
}
