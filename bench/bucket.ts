/**
 * Bucket-7 replay benchmark: `npm run bench -- bucket [--runs N] [--skims N] [--concurrency N] [--heap-snapshot]
 * [--alloc-profile] [--no-planning] [--port N] [--keep]` (needs DATABASE_URL).
 *
 * Belle II's bucket 7 as it arrived: experiment 8, 359 runs, 409 raw files (1–3 per run), 11 runs whose only file is
 * "not a ROOT file", and runs 1932, 1935, 1936 that lost one file of three. The toolkit's `daq` writes them at tiny
 * event counts into a run-list directory; a real `calibloop serve` (child process, its own scheduler ticks, local
 * executor, fresh PostgreSQL database) polls them, opens and closes the bucket, and produces skims and cDSTs until the
 * bucket is `produced`. Measured from outside the server:
 * - `wall_s`, `jobs`, `jobs_per_s`: bucket closed → produced;
 * - `server_cpu_s_per_1000_jobs`: the server process's user+system CPU (/proc/<pid>/stat; its jobs' processes are
 *   not counted) over the production, per 1,000 jobs;
 * - `rss_mb`: at production start, peak (VmHWM) and final (after the bucket is produced and the server idles 20 s);
 * - `memory_mb`: per phase (server up, production start, produced, after 20 s idle, after a forced full GC) RSS,
 *   heapUsed, heapTotal, external, arrayBuffers as the server sees them (process.memoryUsage()), read through
 *   bench/support/mem-probe.mjs, which the bench preloads into the server with `--expose-gc` (bench only: the product
 *   exposes no GC). `after_forced_gc` is two global.gc() calls: what the server retains, garbage excluded.
 *   `--heap-snapshot` also writes a V8 heap snapshot after that GC (path printed) to see who holds the heap
 *   (`node bench/support/heap-summary.mjs FILE` summarises one); `--alloc-profile` samples the allocation sites over the
 *   production (garbage included) and writes the biggest to a file in the temp directory (path printed);
 * - `--runs N` replays a scaled bucket: N of the 359 runs, taken evenly (so fully bad runs come in proportion), always
 *   with the three partial runs; for developing against memory without the full 20-minute replay;
 * - `wasted_jobs`: readers of a corrupt file that ran and failed on it; `cancelled_readers`: those cancelled instead;
 * - completeness of the three partial runs (the reason chain of their cDST).
 * Then, with the server stopped, from this process on the same database:
 * - `idle_tick_ms` on that bucket (set back to `producing`): the production tick when nothing changed, median of 7,
 *   against `full_plan_ms`, the same tick forced to plan everything (the peer in the same run); `mark_ms`, the part of
 *   the idle tick that decides "nothing changed" (the rest is the job engine's own tick);
 * - the same two on a synthetic 104,000-job bucket (2,000 runs × 12 files × 4 skims + cDST), target idle ≤ 50 ms
 *   (bench/support/tick-costs.ts; `npm run bench -- idle-tick` measures only that, without the replay).
 * Result: bench/results/bucket.json.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { loadAppConfig } from '../src/config/app-config.ts';
import { createDeps } from '../src/bootstrap.ts';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/observability/logger.ts';
import { loadProductionConfig } from '../src/config/production-schema.ts';
import { ROOT_DIR } from '../src/db/paths.ts';
import { runCompleteness } from '../src/services/production/completeness.ts';
import { freshPostgres } from './support/fresh-postgres.ts';
import { noopExecutor } from './support/noop-executor.ts';
import { syntheticBucket, tickCosts } from './support/tick-costs.ts';
import { RESULTS_DIR, writeResult } from './support/write-result.ts';

const EXP = 8;
const FIRST = 1700;
const LAST = 2058; // 359 runs
/** the server's port; `--port N` for two replays side by side */
let PORT = 18300;
const TOOLKIT = join(ROOT_DIR, 'toolkit', 'b2sim.mjs');
const FULLY_BAD = [1712, 1733, 1751, 1788, 1802, 1845, 1871, 1960, 1987, 2011, 2044];
const PARTIAL = [1932, 1935, 1936];

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const log = (m: string) => process.stderr.write(`[bench bucket] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

function procStat(pid: number): { cpuS: number; rssMb: number; hwmMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { cpuS: ticks / 100, rssMb: round(kb('VmRSS') / 1024, 1), hwmMb: round(kb('VmHWM') / 1024, 1) };
}

/** 359 runs, 409 files: 1 file per run, 30 runs with 2, 10 with 3; FULLY_BAD have their one file corrupt. */
function generate(home: string): { files: Map<number, number>; corrupt: string[] } {
  const segments = [
    { first: FIRST, last: 1899, files: 1, bad: FULLY_BAD.filter((r) => r <= 1899), fraction: 1 },
    { first: 1900, last: 1929, files: 2, bad: [], fraction: 1 },
    { first: 1930, last: 1939, files: 3, bad: PARTIAL, fraction: 0.34 },
    { first: 1940, last: LAST, files: 1, bad: FULLY_BAD.filter((r) => r >= 1940), fraction: 1 },
  ];
  const files = new Map<number, number>();
  const corrupt: string[] = [];
  for (const s of segments) {
    for (let r = s.first; r <= s.last; r++) files.set(r, s.files);
    const args = [TOOLKIT, 'daq', '--exp', String(EXP), '--first-run', String(s.first), '--last-run', String(s.last), '--files-per-run', String(s.files), '--events-per-file', '10', '--seed', '7', '--raw-dir', join(home, 'raw'), '--runlist-dir', join(home, 'incoming'), '--start-time', '2026-10-01T00:00:00Z'];
    if (s.bad.length) args.push('--corrupt-runs', s.bad.join(','), '--corrupt-fraction', String(s.fraction));
    const out = JSON.parse(execFileSync(process.execPath, args).toString().trim().split('\n').pop()!);
    corrupt.push(...(out.corrupt ?? []));
  }
  return { files, corrupt };
}

/**
 * The runs a scaled replay drops: `n` of the 359 spread evenly over the range, the three partial runs among them
 * (all of them when n ≥ 359).
 */
function pickRuns(n: number): number[] {
  const all = Array.from({ length: LAST - FIRST + 1 }, (_, i) => FIRST + i);
  if (n >= all.length) return all;
  if (n < PARTIAL.length + 1) throw new Error(`--runs must be at least ${PARTIAL.length + 1}`);
  const others = all.filter((r) => !PARTIAL.includes(r));
  const k = n - PARTIAL.length;
  const picked = Array.from({ length: k }, (_, i) => others[Math.floor((i * others.length) / k)]);
  return [...picked, ...PARTIAL].sort((a, b) => a - b);
}

interface MemoryPhase {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  mallocedMemory: number;
}

/** Asks the probe preloaded in the server (bench/support/mem-probe.mjs) for its memory, optionally after a full GC. */
async function probe(dir: string, pid: number, cmd: 'sample' | 'gc' | 'snapshot' | 'profile-start' | 'profile-stop', seq: number): Promise<{ before: MemoryPhase; afterGc?: MemoryPhase; afterGcSettled?: MemoryPhase; snapshot?: string; gcExposed: boolean; allocations?: { totalMb: number; sites: string[] } }> {
  writeFileSync(join(dir, 'cmd'), `${cmd} ${seq}`);
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 1200; i++) {
    await sleep(50);
    try {
      const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
      if (out.seq === seq) return out;
    } catch {
      /* not answered yet */
    }
  }
  throw new Error(`memory probe did not answer ${cmd}`);
}

function productionFile(home: string, skims: number, runs: number): string {
  const shipped = loadYaml(join(ROOT_DIR, 'config', 'production.yaml'));
  shipped.skims = shipped.skims.slice(0, skims);
  shipped.run_sources = [{ name: 'daq', type: 'directory', path: 'runlists' }];
  shipped.buckets = { auto_open: true, run_types: ['physics'], max_duration_hours: null, max_luminosity_pb: null, max_runs: runs, idle_hours: null };
  shipped.schedule = { run_sources: '*/2 * * * * *', buckets: '*/2 * * * * *', production: '* * * * * *' };
  shipped.retry = { site: { backoff_s: 0, factor: 2, max_backoff_s: 0 }, software: { max_attempts: 2, delay_s: 0 }, resource: { memory_factor: 1.5, max_memory_mb: 4096 } };
  const file = join(home, 'production.yaml');
  writeFileSync(file, stringify(shipped));
  return file;
}

function loadYaml(file: string): any {
  return parse(readFileSync(file, 'utf8'));
}

async function api(path: string, token: string): Promise<any> {
  const r = await fetch(`http://127.0.0.1:${PORT}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}


/** Idle-tick and full-plan costs on the replayed bucket and on a synthetic 100k-job bucket, from this process. */
async function planningCosts(url: string, home: string, productionFile: string) {
  const db = await openDatabase({ url, migrate: false, poolSize: 4 });
  const config = loadAppConfig({ CALIBLOOP_HOME: home, CALIBLOOP_SCHEDULER: 'off', PORT: '0' });
  const production = loadProductionConfig(productionFile, home);
  const deps = await createDeps(config, { db, logger: createLogger('warn'), executor: noopExecutor(), production });
  try {
    // statistics and visibility as autovacuum keeps them on a server that has been up a while
    await deps.prisma.$executeRawUnsafe('VACUUM ANALYZE');
    const b7 = await deps.prisma.bucket.findUniqueOrThrow({ where: { name: 'e8_bucket1' } });
    const jobs = await deps.prisma.job.findMany({ where: { bucketId: b7.id }, select: { state: true, errorClass: true } });
    const failedInput = jobs.filter((j) => j.state === 'failed' && j.errorClass === 'input').length;
    const cancelledInput = jobs.filter((j) => j.state === 'cancelled' && j.errorClass === 'input').length;
    const bucket7 = await tickCosts(deps, b7.id);
    log(`bucket 7: full plan ${bucket7.full_plan_ms} ms, idle tick ${bucket7.idle_tick_ms} ms`);
    const existing = await deps.prisma.bucket.findUnique({ where: { name: 'e9_bucket1' } });
    const big = existing ? { id: existing.id, jobs: await deps.prisma.job.count({ where: { bucketId: existing.id } }) } : await syntheticBucket(deps, home);
    if (!existing) await deps.prisma.$executeRawUnsafe('VACUUM ANALYZE');
    const costs = await tickCosts(deps, big.id);
    log(`${big.jobs}-job bucket: full plan ${costs.full_plan_ms} ms, idle tick ${costs.idle_tick_ms} ms`);
    const check = await runCompleteness(deps, EXP, PARTIAL[0], 'cdst');
    return { stage: b7.stage, failedInput, cancelledInput, bucket7: { jobs: jobs.length, ...bucket7 }, synthetic: { jobs: big.jobs, costs }, check };
  } finally {
    await deps.executor.close();
    await db.close();
  }
}

export async function main(args: string[]): Promise<void> {
  // `--planning-only <database url> <home>`: only the planning part, on a database kept by an earlier `--keep` run;
  // merged into bench/results/bucket.json
  const po = args.indexOf('--planning-only');
  if (po >= 0) {
    const [url, home] = [args[po + 1], args[po + 2]];
    const planning = await planningCosts(url, home, join(home, 'production.yaml'));
    const file = join(RESULTS_DIR, 'bucket.json');
    const result = JSON.parse(readFileSync(file, 'utf8'));
    result.planning = { measured: new Date().toISOString(), load: loadavg().map((x) => round(x, 1)), bucket7: planning.bucket7, synthetic: { jobs: planning.synthetic.jobs, ...planning.synthetic.costs, target_idle_ms: 50 } };
    result.replay.wasted_jobs = planning.failedInput - result.input.corrupt_files;
    result.replay.cancelled_readers = planning.cancelledInput;
    writeResult('bucket.json', result);
    console.log(JSON.stringify(result.planning, null, 2));
    return;
  }
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('bench bucket needs DATABASE_URL (PostgreSQL): the server and this process share the database');
  const skims = arg(args, 'skims', 4);
  const concurrency = arg(args, 'concurrency', 2);
  const runs = pickRuns(arg(args, 'runs', LAST - FIRST + 1));
  const keep = args.includes('--keep');
  PORT = arg(args, 'port', PORT);
  const heapSnapshot = args.includes('--heap-snapshot');
  const allocProfile = args.includes('--alloc-profile');
  const withPlanning = !args.includes('--no-planning');
  const loadAtStart = loadavg().map((x) => round(x, 1));
  const fresh = await freshPostgres(base, 'calibloop_bench_bucket');
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-bucket-'));
  const probeDir = join(home, 'memprobe');
  mkdirSync(join(home, 'runlists'), { recursive: true });
  mkdirSync(probeDir, { recursive: true });
  let server: ChildProcess | undefined;
  try {
    const generated = generate(home);
    const files = runs.reduce((a, r) => a + generated.files.get(r)!, 0);
    const corrupt = generated.corrupt.filter((f) => runs.some((r) => f.includes(`/e${EXP}_r${r}_f`)));
    log(`replaying ${runs.length} runs, ${files} files (${corrupt.length} corrupt)`);
    const env = {
      ...process.env,
      CALIBLOOP_HOME: home,
      DATABASE_URL: fresh.url,
      PORT: String(PORT),
      CALIBLOOP_PRODUCTION_FILE: productionFile(home, skims, runs.length),
      CALIBLOOP_LOCAL_CONCURRENCY: String(concurrency),
      CALIBLOOP_EXECUTOR: 'local',
      LOG_LEVEL: 'warn',
      CALIBLOOP_MEMPROBE_DIR: probeDir,
      // outside the home, which is removed at the end
      CALIBLOOP_MEMPROBE_SNAPSHOT_DIR: tmpdir(),
    };
    const bin = join(ROOT_DIR, 'bin', 'calibloop.js');
    execFileSync(process.execPath, [bin, 'db', 'migrate'], { env, stdio: 'ignore' });
    const token = JSON.parse(execFileSync(process.execPath, [bin, '--json', 'token', 'create', '--user', 'dana', '--role', 'data_production_manager'], { env }).toString()).token as string;
    const probeUrl = pathToFileURL(join(ROOT_DIR, 'bench', 'support', 'mem-probe.mjs')).href;
    server = spawn(process.execPath, ['--expose-gc', '--import', probeUrl, bin, 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const pid = server.pid!;
    for (let i = 0; !(await fetch(`http://127.0.0.1:${PORT}/healthz`).then((r) => r.ok).catch(() => false)); i++) {
      if (i > 600) throw new Error('server did not start');
      await sleep(100);
    }
    let seq = 0;
    const memory: Record<string, MemoryPhase> = {};
    const atStart = procStat(pid);
    memory.server_up = (await probe(probeDir, pid, 'sample', ++seq)).before;
    log(`server up (pid ${pid}, RSS ${atStart.rssMb} MB, heap ${memory.server_up.heapUsed} MB); dropping the run lists`);
    // the DAQ drops the run lists: all at once, as a replay
    for (const r of runs) renameSync(join(home, 'incoming', `e${EXP}_r${r}.json`), join(home, 'runlists', `e${EXP}_r${r}.json`));
    let t0 = 0;
    let cpu0 = 0;
    let rssAtProduction = 0;
    let peakSampled = 0;
    const samples: Array<{ t: number; rssMb: number; heapUsedMb: number; externalMb: number; jobs: number }> = [];
    for (;;) {
      await sleep(2000);
      const s = procStat(pid);
      peakSampled = Math.max(peakSampled, s.rssMb);
      const buckets = await api('/buckets', token);
      const b = buckets.find((x: any) => x.name === 'e8_bucket1');
      if (b && !t0 && b.stage !== 'open' && b.stage !== 'closed') {
        t0 = Date.now();
        cpu0 = s.cpuS;
        rssAtProduction = s.rssMb;
        memory.production_start = (await probe(probeDir, pid, allocProfile ? 'profile-start' : 'sample', ++seq)).before;
        log(`production started (RSS ${s.rssMb} MB)`);
      }
      if (t0 && samples.length % 10 === 0) {
        const m = (await probe(probeDir, pid, 'sample', ++seq)).before;
        samples.push({ t: round((Date.now() - t0) / 1000, 1), rssMb: m.rss, heapUsedMb: m.heapUsed, externalMb: m.external, jobs: b?.jobs?.total ?? 0 });
      } else if (t0) samples.push({ t: round((Date.now() - t0) / 1000, 1), rssMb: s.rssMb, heapUsedMb: NaN, externalMb: NaN, jobs: b?.jobs?.total ?? 0 });
      if (samples.length % 15 === 0 && samples.length) log(`${samples.at(-1)!.t} s: ${b.jobs.succeeded}/${b.jobs.total} ok, ${b.jobs.failed} failed, RSS ${s.rssMb} MB`);
      // produced, or already past it: on a quiet machine the calibrations can finish between two looks
      if (b && t0 && !['open', 'closed', 'producing'].includes(b.stage)) break;
      // the full replay took 19 min on a loaded 2-core machine
      if (t0 && Date.now() - t0 > 45 * 60_000) throw new Error('production did not finish in 45 minutes');
    }
    const wallS = (Date.now() - t0) / 1000;
    const end = procStat(pid);
    const atProduced = await probe(probeDir, pid, allocProfile ? 'profile-stop' : 'sample', ++seq);
    memory.produced = atProduced.before;
    if (atProduced.allocations) {
      const file = join(tmpdir(), `calibloop-bench-bucket-allocations-${runs.length}runs.txt`);
      writeFileSync(file, [`allocated during production (sampled, garbage included): ${atProduced.allocations.totalMb} MB`, ...atProduced.allocations.sites].join('\n') + '\n');
      log(`allocation sites during production: ${file}`);
    }
    const progress = await api('/buckets/e8_bucket1/progress', token);
    const jobs = progress.steps.reduce((a: number, s: any) => a + s.total, 0);
    log(`produced in ${wallS.toFixed(0)} s, ${jobs} jobs; idling 20 s for the final RSS`);
    await sleep(20_000);
    const final = procStat(pid);
    const gc = await probe(probeDir, pid, heapSnapshot ? 'snapshot' : 'gc', ++seq);
    memory.after_20s_idle = gc.before;
    if (gc.afterGc) memory.after_forced_gc = gc.afterGc;
    if (gc.afterGcSettled) memory.after_forced_gc_3s = gc.afterGcSettled;
    if (gc.snapshot) log(`heap snapshot (after the forced GC): ${gc.snapshot}`);
    log(`final: RSS ${final.rssMb} MB, heap ${gc.before.heapUsed} MB, external ${gc.before.external} MB; after forced GC: RSS ${gc.afterGc?.rss} MB (3 s later ${gc.afterGcSettled?.rss} MB), heap ${gc.afterGc?.heapUsed} MB`);
    const completeness = await api('/buckets/e8_bucket1/completeness?step=cdst', token);
    const partial = PARTIAL.map((r) => ({ run: r, status: completeness.incomplete.find((x: any) => x.run === r)?.steps[0]?.status ?? 'complete', chain: completeness.incomplete.find((x: any) => x.run === r)?.steps[0]?.missing?.[0]?.chain ?? null }));
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
    server = undefined;

    // planning cost, from this process on the same database (the server is stopped)
    const planning = withPlanning ? await planningCosts(fresh.url, home, env.CALIBLOOP_PRODUCTION_FILE) : undefined;
    const fullRun = runs.length === LAST - FIRST + 1;
    const result = {
      benchmark: 'bucket',
      database: 'postgresql',
      date: new Date().toISOString(),
      command: `DATABASE_URL=… npm run bench -- bucket${fullRun ? '' : ` --runs ${runs.length}`} --skims ${skims} --concurrency ${concurrency}${withPlanning ? '' : ' --no-planning'}`,
      machine: { cpus: cpus().length, load_at_start: loadAtStart, load_at_end: loadavg().map((x) => round(x, 1)) },
      input: { exp: EXP, runs: runs.length, files, corrupt_files: corrupt.length, fully_bad_runs: FULLY_BAD.filter((r) => runs.includes(r)).length, partial_runs: PARTIAL, skims, events_per_file: 10, local_concurrency: concurrency },
      replay: {
        stage: planning?.stage ?? 'produced',
        wall_s: round(wallS, 1),
        jobs,
        jobs_per_s: round(jobs / wallS, 2),
        server_cpu_s: round(end.cpuS - cpu0, 1),
        server_cpu_s_per_1000_jobs: round(((end.cpuS - cpu0) / jobs) * 1000, 2),
        rss_mb: { server_up: atStart.rssMb, production_start: rssAtProduction, peak: final.hwmMb, peak_sampled: peakSampled, final_after_20s_idle: final.rssMb, after_forced_gc: gc.afterGc?.rss ?? null, after_forced_gc_3s: gc.afterGcSettled?.rss ?? null, target: 400 },
        memory_mb: { forced_gc: gc.gcExposed ? 'two global.gc() (node --expose-gc) in the server, through bench/support/mem-probe.mjs' : 'not exposed', ...memory },
        wasted_jobs: planning ? planning.failedInput - corrupt.length : null,
        cancelled_readers: planning?.cancelledInput ?? null,
        partial_runs_cdst: partial,
        partial_run_check: planning?.check.steps[0].status ?? null,
        rss_samples: samples.filter((_, i) => i % 10 === 0),
      },
      planning: planning ? { bucket7: planning.bucket7, synthetic: { jobs: planning.synthetic.jobs, ...planning.synthetic.costs, target_idle_ms: 50 } } : null,
    };
    // a scaled replay writes beside the full one, so bench/results/bucket.json stays the bucket-7-sized answer
    const out = writeResult(fullRun ? 'bucket.json' : `bucket-${runs.length}runs.json`, result);
    log(`wrote ${out}`);
    console.log(JSON.stringify(result.replay, null, 2), JSON.stringify(result.planning, null, 2));
  } finally {
    if (server) server.kill('SIGKILL');
    if (!keep) {
      await fresh.drop().catch(() => undefined);
      if (existsSync(home)) rmSync(home, { recursive: true, force: true });
    }
  }
}
