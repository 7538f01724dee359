/**
 * Conditions benchmark: `npm run bench -- conditions [--duration S] [--connections N] [--keep]`.
 *
 * Builds, with bulk SQL (not 100k requests), 1,000 payload names × 100 revisions and four tags of 1,000 names × 100
 * IoVs each (100k IoVs per tag): three PUBLISHED tags forming the published chain (fix > prompt > base) and a RUNNING
 * tag replacing `base` in the running chain. Then, over real HTTP with ≥ 256 keep-alive connections from a load
 * generator in a worker thread (bench/conditions-load.mjs), measures resolutions/s and latency for both chains at
 * random runs; then times a snapshot of the 100k-IoV running tag and a running update applying 1,000 payloads.
 *
 * Database: PostgreSQL when DATABASE_URL is set (a fresh database is created on that server and dropped afterwards
 * unless --keep), else embedded PGlite in memory. Writes bench/results/conditions.json (PostgreSQL) or
 * bench/results/conditions-pglite.json.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import axios from 'axios';
import { loadAppConfig } from '../src/config/app-config.ts';
import { createDeps } from '../src/bootstrap.ts';
import { startServer } from '../src/server.ts';
import { openDatabase, type Database } from '../src/db/database.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createToken } from '../src/services/identity/tokens.ts';
import { SYSTEM_ACTOR } from '../src/domain/roles.ts';
import { systemClock } from '../src/domain/clock.ts';
import { resolveChainResponse } from '../src/services/conditions/resolve-chain.ts';
import { freshPostgres } from './support/fresh-postgres.ts';

const NAMES = 1000;
const PER_NAME = 100;
const RUNS_PER_IOV = 100;

interface LoadResult {
  requests: number;
  elapsedS: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  statuses: Record<string, number>;
  mbPerS: number;
}

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}


/** 100k payload rows and four 100k-IoV tags, all in set-based SQL. */
export async function build(db: Database): Promise<void> {
  const p = db.prisma;
  const now = new Date();
  await p.$executeRawUnsafe(`
    INSERT INTO "Payload" (name, revision, md5, sha256, size, "storageKey", "createdAt", "createdBy")
    SELECT 'BenchPayload_' || lpad(n::text, 4, '0'), r, md5(n::text || '/' || r::text), encode(sha256((n::text || '/' || r::text)::bytea), 'hex'),
           1000, '00/00/' || repeat('0', 64), now(), 'bench'
    FROM generate_series(1, ${NAMES}) n, generate_series(1, ${PER_NAME + 1}) r`);
  const tags: Array<[string, string, string]> = [
    ['bench_fix', 'auxiliary', 'PUBLISHED'],
    ['bench_prompt', 'release', 'PUBLISHED'],
    ['bench_base', 'release', 'PUBLISHED'],
    ['bench_running', 'running', 'RUNNING'],
    ['bench_staging', 'staging', 'VALIDATED'],
  ];
  for (const [name, type, state] of tags) {
    await p.$executeRaw`INSERT INTO "GlobalTag" (name, type, state, description, version, "createdAt", "createdBy", "updatedAt")
      VALUES (${name}, ${type}, ${state}, 'benchmark', 1, ${now}, 'bench', ${now})`;
  }
  // IoV j (0-based) of every name, in experiment 1:
  //   base/running: runs [100j, 100j+99], the first from (0,0), the last open-ended
  //   prompt:       runs [100j+30, 100j+59]
  //   fix:          runs [100j+40, 100j+44]
  const layouts: Record<string, string> = {
    bench_base: `CASE WHEN r = 1 THEN 0 ELSE 1 END, CASE WHEN r = 1 THEN 0 ELSE (r-1)*${RUNS_PER_IOV} END,
                 CASE WHEN r = ${PER_NAME} THEN -1 ELSE 1 END, CASE WHEN r = ${PER_NAME} THEN -1 ELSE (r-1)*${RUNS_PER_IOV}+${RUNS_PER_IOV - 1} END`,
    bench_prompt: `1, (r-1)*${RUNS_PER_IOV}+30, 1, (r-1)*${RUNS_PER_IOV}+59`,
    bench_fix: `1, (r-1)*${RUNS_PER_IOV}+40, 1, (r-1)*${RUNS_PER_IOV}+44`,
  };
  layouts.bench_running = layouts.bench_base;
  for (const [tag, layout] of Object.entries(layouts)) {
    await p.$executeRawUnsafe(`
      INSERT INTO "Iov" ("tagId", "payloadId", name, revision, "firstExp", "firstRun", "finalExp", "finalRun", "insertedAt", "insertedBy")
      SELECT t.id, x.id, x.name, x.revision, ${layout}, now(), 'bench'
      FROM (SELECT id, name, revision, revision AS r FROM "Payload" WHERE name LIKE 'BenchPayload_%' AND revision <= ${PER_NAME}) x,
           (SELECT id FROM "GlobalTag" WHERE name = '${tag}') t`);
  }
  // the staging tag of the running update: revision 101 of every name, open-ended from (0,0)
  await p.$executeRawUnsafe(`
    INSERT INTO "Iov" ("tagId", "payloadId", name, revision, "firstExp", "firstRun", "finalExp", "finalRun", "insertedAt", "insertedBy")
    SELECT t.id, x.id, x.name, x.revision, 0, 0, -1, -1, now(), 'bench'
    FROM (SELECT id, name, revision FROM "Payload" WHERE name LIKE 'BenchPayload_%' AND revision = ${PER_NAME + 1}) x,
         (SELECT id FROM "GlobalTag" WHERE name = 'bench_staging') t`);
  await p.$executeRawUnsafe(`ANALYZE "Iov"; `);
  await p.$executeRawUnsafe(`ANALYZE "Payload"; `);
}

/**
 * Runs the load generator in a child process and measures this (server) process's CPU time while it runs, so the
 * server's cost per request is known whatever else the machine is doing.
 */
function load(url: string, paths: string[], connections: number, durationS: number, warmupS: number, headers: Record<string, string>): Promise<LoadResult & { serverCpuMsPerRequest: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('./conditions-load.mjs', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.end(JSON.stringify({ url, paths, connections, durationS, warmupS, headers }));
    let out = '';
    let cpu0: NodeJS.CpuUsage | undefined;
    let cpu: NodeJS.CpuUsage | undefined;
    child.stdout.on('data', (c) => {
      out += c;
      // the generator announces the measured window: take this process's CPU time at its edges
      if (!cpu0 && out.includes('{"event":"start"}')) cpu0 = process.cpuUsage();
      if (cpu0 && !cpu && out.includes('{"event":"end"}')) cpu = process.cpuUsage(cpu0);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      const r = JSON.parse(out.trim().split('\n').pop()!) as LoadResult;
      const cpuMs = cpu ? (cpu.user + cpu.system) / 1000 : NaN;
      resolve({ ...r, serverCpuMsPerRequest: cpuMs / r.requests });
    });
  });
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export async function main(args: string[]): Promise<void> {
  const durationS = Number(arg(args, 'duration', '15'));
  const connections = Number(arg(args, 'connections', '256'));
  const warmupS = Number(arg(args, 'warmup', '5'));
  const keep = args.includes('--keep');
  const base = process.env.DATABASE_URL;
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-'));
  const log = (m: string) => process.stderr.write(`[bench conditions] ${m}\n`);
  const startLoad = loadavg().map((l) => round(l, 1));

  const pgdb = base ? await freshPostgres(base, 'calibloop_bench') : undefined;
  const db = await openDatabase(pgdb ? { url: pgdb.url, migrate: true, poolSize: 16 } : { migrate: true });
  const config = { ...loadAppConfig({ ...process.env, CALIBLOOP_HOME: home, PORT: '0', CALIBLOOP_SCHEDULER: 'off', LOG_LEVEL: 'warn' }), databaseUrl: pgdb?.url };
  const deps = await createDeps(config, { db, clock: systemClock, logger: createLogger('warn') });
  const server = await startServer(deps, { port: 0, host: '127.0.0.1', scheduler: false });
  const results: Record<string, unknown> = {};
  try {
    log(`database ${db.kind}; building ${NAMES} names × ${PER_NAME} IoVs × 4 tags with bulk SQL`);
    let t = performance.now();
    await build(db);
    results.build_s = round((performance.now() - t) / 1000, 2);
    log(`built in ${results.build_s} s`);
    const { token } = await createToken(deps.prisma, systemClock, SYSTEM_ACTOR, { user: 'bench-manager', role: 'calibration_manager' });
    const api = axios.create({ baseURL: `${server.url}/api/v1`, headers: { Authorization: `Bearer ${token}` }, validateStatus: () => true, timeout: 600_000 });

    const runs = Array.from({ length: 2000 }, (_, k) => Math.floor((k * 7919) % (PER_NAME * RUNS_PER_IOV)));
    const pathsFor = (chain: string[]) => runs.map((r) => `/api/v1/resolve?tag=${chain.join(',')}&exp=1&run=${r}`);
    const published = ['bench_fix', 'bench_prompt', 'bench_base'];
    const running = ['bench_fix', 'bench_prompt', 'bench_running'];
    // cold start: the first resolution after start-up loads the three 100k-IoV tag indexes from the database
    t = performance.now();
    await resolveChainResponse(deps, { tags: published, exp: 1, run: 0 });
    results.cold_first_resolution_published_s = round((performance.now() - t) / 1000, 2);
    const check = await api.get('/resolve', { params: { tag: published.join(','), exp: 1, run: 4042 } });
    if (check.status !== 200 || check.data.payloads.length !== NAMES || check.data.payloads[0].tag !== 'bench_fix') {
      throw new Error(`unexpected resolution: ${check.status} ${JSON.stringify(check.data).slice(0, 300)}`);
    }
    results.response_bytes_identity = Buffer.byteLength(JSON.stringify(check.data));
    const gz = await api.get('/resolve', { params: { tag: published.join(','), exp: 1, run: 4042 }, headers: { 'accept-encoding': 'gzip' }, decompress: false, responseType: 'arraybuffer' });
    results.response_bytes_gzip = (gz.data as ArrayBuffer).byteLength;

    // Cold costs: loading a 100k-IoV tag index, and a resolution missing the response cache (resolve + JSON + gzip).
    // Then every segment of both chains is resolved once, so the timed runs measure the steady state a long-running
    // server is in (a chain's answers are cached per segment; ~500 segments per chain here).
    for (const [label, chain] of [
      ['published', published],
      ['running', running],
    ] as const) {
      if (label === 'running') {
        // only the running tag's index is new here (fix and prompt are shared with the published chain)
        t = performance.now();
        await resolveChainResponse(deps, { tags: [...chain], exp: 1, run: 1 });
        results.cold_running_tag_index_load_s = round((performance.now() - t) / 1000, 2);
      }
      const missRuns = Array.from({ length: 50 }, (_, k) => k * 200 + 47);
      t = performance.now();
      for (const run of missRuns) (await resolveChainResponse(deps, { tags: [...chain], exp: 1, run })).gzip();
      results[`resolve_${label}_miss_ms`] = round((performance.now() - t) / missRuns.length, 2);
      t = performance.now();
      for (const run of runs) (await resolveChainResponse(deps, { tags: [...chain], exp: 1, run })).gzip();
      log(`${label} chain: cache miss ${results[`resolve_${label}_miss_ms`]} ms, warm-up of ${runs.length} runs ${round((performance.now() - t) / 1000, 1)} s`);
    }

    const gzipHeaders = { 'accept-encoding': 'gzip' };
    for (const [label, chain] of [
      ...((process.env.BENCH_ORDER === 'running-first' ? [['running', running], ['published', published]] : [['published', published], ['running', running]]) as Array<['published' | 'running', string[]]>),
    ] as const) {
      log(`resolving the ${label} chain: ${connections} connections, ${durationS} s (+${warmupS} s warm-up), gzip accepted`);
      const r = await load(server.url, pathsFor([...chain]), connections, durationS, warmupS, gzipHeaders);
      log(`  ${round(r.rps, 0)} req/s, p50 ${round(r.p50, 2)} ms, p99 ${round(r.p99, 2)} ms, errors ${r.errors}, statuses ${JSON.stringify(r.statuses)}, server CPU ${round(r.serverCpuMsPerRequest, 3)} ms/request`);
      results[`resolve_${label}_server_cpu_ms_per_request`] = round(r.serverCpuMsPerRequest, 3);
      results[`resolve_${label}_rps`] = round(r.rps, 0);
      results[`resolve_${label}_p50_ms`] = round(r.p50, 2);
      results[`resolve_${label}_p99_ms`] = round(r.p99, 2);
      results[`resolve_${label}_errors`] = r.errors + Object.entries(r.statuses).filter(([s]) => s !== '200').reduce((a, [, n]) => a + n, 0);
    }
    log(`resolving the published chain without compression (identity)`);
    const ident = await load(server.url, pathsFor(published), connections, Math.max(5, Math.round(durationS / 2)), warmupS, { 'accept-encoding': 'identity' });
    results.resolve_published_identity_rps = round(ident.rps, 0);
    results.resolve_published_identity_p99_ms = round(ident.p99, 2);
    log(`  ${round(ident.rps, 0)} req/s, p99 ${round(ident.p99, 2)} ms, ${round(ident.mbPerS, 0)} MB/s`);

    log('snapshot of the 100k-IoV running tag');
    t = performance.now();
    const snap = await api.post('/tags/bench_running/snapshot', { name: 'bench_snapshot', reason: 'benchmark' });
    results.snapshot_100k_s = round((performance.now() - t) / 1000, 3);
    if (snap.status !== 201 || snap.data.copied !== NAMES * PER_NAME) throw new Error(`snapshot failed: ${snap.status} ${JSON.stringify(snap.data).slice(0, 300)}`);
    log(`  ${results.snapshot_100k_s} s (${snap.data.copied} IoVs)`);

    log('running update applying 1,000 payloads to the 100k-IoV running tag');
    t = performance.now();
    const ru = await api.post('/tags/bench_running/runningupdate', { staging: 'bench_staging', firstValid: { exp: 1, run: PER_NAME * RUNS_PER_IOV }, reason: 'benchmark' });
    results.running_update_1000_s = round((performance.now() - t) / 1000, 3);
    if (ru.status !== 200 || ru.data.counts.added !== NAMES || ru.data.counts.closed !== NAMES) throw new Error(`running update failed: ${ru.status} ${JSON.stringify(ru.data).slice(0, 300)}`);
    log(`  ${results.running_update_1000_s} s (${JSON.stringify(ru.data.counts)})`);
  } finally {
    await server.close();
    await db.close();
    if (pgdb && !keep) await pgdb.drop();
    rmSync(home, { recursive: true, force: true });
  }
  const out = {
    ...results,
    database: db.kind === 'postgres' ? 'postgresql' : 'pglite',
    date: new Date().toISOString(),
    connections,
    duration_s: durationS,
    iovs_per_tag: NAMES * PER_NAME,
    tags: 4,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavg_at_end: loadavg().map((l) => round(l, 1)) },
    load_generator: 'bench/conditions-load.mjs: node http, keep-alive agent, closed loop per connection, separate process',
    loadavg_at_start: startLoad,
    command: `${base ? 'DATABASE_URL=postgresql://root@127.0.0.1:5432/postgres ' : ''}npm run bench -- conditions`,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL(`./results/${db.kind === 'postgres' ? 'conditions.json' : 'conditions-pglite.json'}`, import.meta.url);
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  log(`wrote ${file.pathname}`);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}
