/**
 * End-to-end local-executor throughput, part of `npm run bench -- jobs` (its `local_executor` section); run alone with
 * `npm run bench -- jobs-local` (merges the section into bench/results/jobs.json, or jobs-pglite.json without
 * DATABASE_URL).
 *
 * N short jobs (`sleep`) go through the real server: `startServer` with its scheduler on the shipped production
 * config, the job engine's tick (claim, submit, poll, outcome) and the real wrapper (`local-job-wrapper.mjs`,
 * pre-forked), with the default concurrency (the cores). The engine keeps only about twice the concurrency inside the
 * executor, so every refill beyond that depends on the engine noticing an ended job — the event-driven path
 * (`executor.onJobEnded` → job tick).
 *
 * Metrics, from each wrapper's own record in `.exit`: a job *starts* when its program is spawned and *ends* when its
 * program is reaped, both as the wrapper sees them (`startedAt`, `finishedAt`); the wrapper's own start-up, claim and
 * bookkeeping count as idle slot time.
 * - `slot_utilisation`: busy slot-seconds (Σ program end − program start) / available slot-seconds
 *   (concurrency × (last program end − first program start));
 * - `gap_ms`: for the k-th program start (k ≥ concurrency, starts and ends each in time order), its start − the
 *   (k − concurrency)-th program end: how long a freed slot stayed empty until the next program ran; median and p90;
 * - `claim_to_start_ms`: median time inside the wrapper from taking the job (`claimedAt`) to spawning the program;
 * - `server_event_loop_delay_ms` (engine): how late the server's event loop ran (p50, p99, max) — a wrapper's exit is
 *   handled, and its slot refilled, only when the loop gets to it, so this is what the engine adds to the bare gap.
 * Peers in the same run (the machine is shared and its load varies):
 * - `bare_executor`: the same jobs handed to a bare LocalExecutor at once (no database, no engine, pre-forked
 *   wrappers): what the executor alone reaches here;
 * - `bare_executor_no_prefork`: the same with `prefork: 0` (each wrapper's Node starts when its job is due — the
 *   executor before pre-forking);
 * - `machine`: `/bin/true` spawned back to back from Node (spawns/s and median ms) and the median start-up of
 *   `node -e 0` — the spawn ceiling and the cost pre-forking takes off the critical path.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { loadAppConfig } from '../src/config/app-config.ts';
import { createDeps } from '../src/bootstrap.ts';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startServer } from '../src/server.ts';
import { createJobs } from '../src/services/jobs/create-jobs.ts';
import { createLocalExecutor } from '../src/executors/local-executor.ts';
import { freshPostgres } from './support/fresh-postgres.ts';
import { RESULTS_DIR, writeResult } from './support/write-result.ts';

export interface ThroughputOptions {
  jobs?: number;
  jobSeconds?: number;
  /** PostgreSQL server to make a fresh database on; PGlite in memory when absent */
  baseUrl?: string;
}

interface Window {
  claimed: number;
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
  return {
    span_s: round(span / 1000, 2),
    jobs_per_s: round(windows.length / (span / 1000), 2),
    slot_utilisation: round(busy / (concurrency * span), 3),
    gap_median_ms: Math.round(quantile(gaps, 0.5)),
    gap_p90_ms: Math.round(quantile(gaps, 0.9)),
    claim_to_start_median_ms: Math.round(quantile(windows.map((w) => w.start - w.claimed), 0.5)),
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0;
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function windowOf(workDir: string): Window {
  const e = JSON.parse(readFileSync(join(workDir, '.exit'), 'utf8')) as { claimedAt?: string; startedAt: string; finishedAt: string };
  const start = Date.parse(e.startedAt);
  return { claimed: e.claimedAt ? Date.parse(e.claimedAt) : start, start, finish: Date.parse(e.finishedAt) };
}
async function throughEngine(n: number, seconds: number, concurrency: number, baseUrl?: string) {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-tp-'));
  const fresh = baseUrl ? await freshPostgres(baseUrl, `${process.env.BENCH_DB_PREFIX ?? 'calibloop_bench'}_tp`) : undefined;
  const db = await openDatabase(fresh ? { url: fresh.url, migrate: true } : { migrate: true });
  const config = loadAppConfig({ CALIBLOOP_HOME: home, PORT: '0', CALIBLOOP_LOCAL_CONCURRENCY: String(concurrency), CALIBLOOP_SCHEDULER: 'on' });
  const deps = await createDeps(config, { db, logger: createLogger('error') });
  const server = await startServer(deps, { port: 0, host: '127.0.0.1' });
  // the server's event-loop delay while the jobs run: every refill waits for a wrapper's exit event to be handled
  const loop = monitorEventLoopDelay({ resolution: 10 });
  try {
    const t0 = Date.now();
    loop.enable();
    await createJobs(deps, Array.from({ length: n }, (_, i) => ({
      idempotencyKey: `bench_sleep/${i}`, step: 'bench_sleep', command: ['sleep', String(seconds)], timeLimitS: 60, memoryMb: 64,
    })));
    // the first submission waits for the job tick's next firing (a safety-net cron): creation is not one of the events
    for (;;) {
      const left = await deps.prisma.job.count({ where: { step: 'bench_sleep', state: { notIn: ['succeeded', 'failed'] } } });
      if (left === 0) break;
      if (Date.now() - t0 > 10 * 60_000) throw new Error(`${left} bench jobs still unfinished after 10 min`);
      // seldom: this process is the server too, and the bench's own queries must not be what delays its event loop
      await new Promise((r) => setTimeout(r, 1000));
    }
    loop.disable();
    const rows = await deps.prisma.job.findMany({ where: { step: 'bench_sleep' }, select: { state: true, executorJobId: true } });
    const failed = rows.filter((r) => r.state !== 'succeeded').length;
    if (failed) throw new Error(`${failed} bench jobs did not succeed`);
    return {
      ...slotStats(rows.map((r) => windowOf(r.executorJobId!)), concurrency),
      server_event_loop_delay_ms: { p50: round(loop.percentile(50) / 1e6, 1), p99: round(loop.percentile(99) / 1e6, 1), max: round(loop.max / 1e6, 1) },
    };
  } finally {
    loop.disable();
    await server.close();
    await deps.executor.close();
    await db.close();
    if (fresh) await fresh.drop();
    rmSync(home, { recursive: true, force: true });
  }
}

async function bareExecutor(n: number, seconds: number, concurrency: number, prefork?: number) {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-bare-'));
  const executor = createLocalExecutor({ concurrency, prefork });
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

/** `/bin/true` spawned back to back for about a second, and `node -e 0` start-ups: this machine's spawn ceiling now. */
async function machineCeiling() {
  const once = (cmd: string, args: string[]) =>
    new Promise<number>((res, rej) => {
      const t0 = process.hrtime.bigint();
      const c = spawn(cmd, args, { stdio: 'ignore' });
      c.once('error', rej);
      c.once('exit', () => res(Number(process.hrtime.bigint() - t0) / 1e6));
    });
  const trueMs: number[] = [];
  const t0 = Date.now();
  while (Date.now() - t0 < 1000) trueMs.push(await once('/bin/true', []));
  const nodeMs: number[] = [];
  for (let i = 0; i < 9; i++) nodeMs.push(await once(process.execPath, ['-e', '0']));
  return {
    bin_true_spawns_per_s: Math.round(trueMs.length / ((Date.now() - t0) / 1000)),
    bin_true_median_ms: round(quantile(trueMs, 0.5), 1),
    node_start_median_ms: Math.round(quantile(nodeMs, 0.5)),
  };
}

export async function localExecutorThroughput(opts: ThroughputOptions = {}) {
  const n = opts.jobs ?? 120;
  const seconds = opts.jobSeconds ?? 0.5;
  const concurrency = availableParallelism();
  const loadAtStart = loadavg().map((x) => round(x, 1));
  const machine = await machineCeiling();
  const bare = await bareExecutor(n, seconds, concurrency);
  const bareNoPrefork = await bareExecutor(n, seconds, concurrency, 0);
  const engine = await throughEngine(n, seconds, concurrency, opts.baseUrl);
  return {
    date: new Date().toISOString(),
    jobs: n,
    job_command: `sleep ${seconds}`,
    concurrency,
    loadavg_at_start: loadAtStart,
    loadavg_at_end: loadavg().map((x) => round(x, 1)),
    engine,
    bare_executor: bare,
    bare_executor_no_prefork: bareNoPrefork,
    machine,
    engine_vs_bare_jobs_per_s: round(engine.jobs_per_s / bare.jobs_per_s, 2),
    engine_vs_bare_utilisation: round(engine.slot_utilisation / bare.slot_utilisation, 2),
    metrics: {
      start: "the program spawned by the wrapper (.exit startedAt); the wrapper's own start-up and claim count as idle",
      end: 'the program reaped by the wrapper (.exit finishedAt)',
      slot_utilisation: 'sum(program end - program start) / (concurrency * (last end - first start))',
      gap_ms: 'k-th program start - (k - concurrency)-th program end, k >= concurrency, both in time order',
      claim_to_start_ms: "wrapper took the job (.exit claimedAt) -> program spawned",
      server_event_loop_delay_ms: "the server process's event-loop delay (perf_hooks, 10 ms resolution) during the engine run",
    },
    targets: { slot_utilisation: '>= 0.9', gap_median_ms: '<= 200' },
  };
}

/** `npm run bench -- jobs-local [--jobs N] [--seconds S]`: this section alone, merged into the jobs results file. */
export async function main(args: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const r = await localExecutorThroughput({ baseUrl: process.env.DATABASE_URL, jobs: arg('--jobs'), jobSeconds: arg('--seconds') });
  process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  const name = process.env.DATABASE_URL ? 'jobs.json' : 'jobs-pglite.json';
  const file = join(RESULTS_DIR, name);
  const all = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { benchmark: 'jobs', command: 'npm run bench -- jobs' };
  all.local_executor = r;
  all.note_merged = `local_executor from \`npm run bench -- jobs-local\` (${r.date}); the rest from the run of ${all.date ?? 'never'}`;
  writeResult(name, all);
  process.stderr.write(`[bench jobs-local] wrote ${file}\n`);
}
