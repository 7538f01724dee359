/**
 * Conditions benchmark: `npm run bench -- conditions [--duration S] [--warmup S] [--rounds N] [--connections 32,256] [--keep]`.
 *
 * Builds, with bulk SQL (not 100k requests), 1,000 payload names × 100 revisions and tags of 1,000 names × 100 IoVs
 * each (100k IoVs per tag), among them the PUBLISHED `bench_base` and the RUNNING `bench_running` with the same
 * layout. Then, in ONE run, over real HTTP from a load generator in a separate process (bench/conditions-load.mjs),
 * at 32 and at 256 keep-alive connections, for each door (`/api/v1/resolve`, `/v2/iovPayloads`):
 * - the ceiling: a bare node:http server in this process writing that door's cached gzip answer with the same headers;
 * - the door on the PUBLISHED tag and on the RUNNING tag, at random runs;
 * in `--rounds` (3) interleaved rounds, each as answers/s, p50/p99, server CPU per answer and the ratio to the
 * ceiling measured just before it (the machine is shared and noisy: the ratios are what is comparable, medians kept). Then times a snapshot of the 100k-IoV running tag and a running update applying
 * 1,000 payloads.
 *
 * Database: PostgreSQL when DATABASE_URL is set (a fresh database is created on that server and dropped afterwards
 * unless --keep; it is named after DATABASE_URL's database when that starts with "calibloop"), else embedded PGlite
 * in memory. Writes bench/results/conditions.json (PostgreSQL) or bench/results/conditions-pglite.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { conditionsCache } from '../src/services/conditions/support/resolution-cache.ts';
import { encodeIovPayloads } from '../src/http/v2/iov-payloads.ts';
import { FILES_PATH } from '../src/http/v2/belle2-json.ts';
import { PUBLISHED_MAX_AGE_S } from '../src/http/routes/conditions-common.ts';
import { writeResult } from './support/write-result.ts';

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


/** 100k payload rows, two 100k-IoV tags (PUBLISHED and RUNNING) and a 1,000-IoV staging tag, all in set-based SQL. */
export async function build(db: Database): Promise<void> {
  const p = db.prisma;
  const now = new Date();
  await p.$executeRawUnsafe(`
    INSERT INTO "Payload" (name, revision, md5, sha256, size, "storageKey", "createdAt", "createdBy")
    SELECT 'BenchPayload_' || lpad(n::text, 4, '0'), r, md5(n::text || '/' || r::text), encode(sha256((n::text || '/' || r::text)::bytea), 'hex'),
           1000, '00/00/' || repeat('0', 64), now(), 'bench'
    FROM generate_series(1, ${NAMES}) n, generate_series(1, ${PER_NAME + 1}) r`);
  const tags: Array<[string, string, string]> = [
    ['bench_base', 'release', 'PUBLISHED'],
    ['bench_running', 'running', 'RUNNING'],
    ['bench_staging', 'staging', 'VALIDATED'],
  ];
  for (const [name, type, state] of tags) {
    await p.$executeRaw`INSERT INTO "GlobalTag" (name, type, state, description, version, "createdAt", "createdBy", "updatedAt")
      VALUES (${name}, ${type}, ${state}, 'benchmark', 1, ${now}, 'bench', ${now})`;
  }
  // IoV j (0-based) of every name, in experiment 1, in both base and running: runs [100j, 100j+99], the first from
  // (0,0), the last open-ended
  const layouts: Record<string, string> = {
    bench_base: `CASE WHEN r = 1 THEN 0 ELSE 1 END, CASE WHEN r = 1 THEN 0 ELSE (r-1)*${RUNS_PER_IOV} END,
                 CASE WHEN r = ${PER_NAME} THEN -1 ELSE 1 END, CASE WHEN r = ${PER_NAME} THEN -1 ELSE (r-1)*${RUNS_PER_IOV}+${RUNS_PER_IOV - 1} END`,
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
  const durationS = Number(arg(args, 'duration', '4'));
  const warmupS = Number(arg(args, 'warmup', '1'));
  const rounds = Number(arg(args, 'rounds', '3'));
  const connectionCounts = arg(args, 'connections', '32,256').split(',').map(Number);
  const keep = args.includes('--keep');
  const base = process.env.DATABASE_URL;
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-'));
  const log = (m: string) => process.stderr.write(`[bench conditions] ${m}\n`);
  const startLoad = loadavg().map((l) => round(l, 1));

  const baseDb = base ? new URL(base).pathname.slice(1) : '';
  const pgdb = base ? await freshPostgres(base, baseDb.startsWith('calibloop') ? `${baseDb}_bench` : 'calibloop_bench') : undefined;
  const db = await openDatabase(pgdb ? { url: pgdb.url, migrate: true, poolSize: 16 } : { migrate: true });
  const config = { ...loadAppConfig({ ...process.env, CALIBLOOP_HOME: home, PORT: '0', CALIBLOOP_SCHEDULER: 'off', LOG_LEVEL: 'warn' }), databaseUrl: pgdb?.url };
  const deps = await createDeps(config, { db, clock: systemClock, logger: createLogger('warn') });
  const server = await startServer(deps, { port: 0, host: '127.0.0.1', scheduler: false });
  const results: Record<string, unknown> = {};
  const targets: Record<string, boolean> = {};
  let ceilingServer: ReturnType<typeof createServer> | undefined;
  try {
    log(`database ${db.kind}; building ${NAMES} names × ${PER_NAME} IoVs per tag with bulk SQL`);
    let t = performance.now();
    await build(db);
    results.build_s = round((performance.now() - t) / 1000, 2);
    log(`built in ${results.build_s} s`);
    const { token } = await createToken(deps.prisma, systemClock, SYSTEM_ACTOR, { user: 'bench-manager', role: 'calibration_manager' });
    const api = axios.create({ baseURL: `${server.url}/api/v1`, headers: { Authorization: `Bearer ${token}` }, validateStatus: () => true, timeout: 600_000 });

    const published = 'bench_base';
    const running = 'bench_running';
    const runs = Array.from({ length: 2000 }, (_, k) => Math.floor((k * 7919) % (PER_NAME * RUNS_PER_IOV)));
    const doors = {
      resolve: (tag: string, run: number) => `/api/v1/resolve?tag=${tag}&exp=1&run=${run}`,
      iovPayloads: (tag: string, run: number) => `/v2/iovPayloads/?gtName=${tag}&expNumber=1&runNumber=${run}`,
    };
    const baseUrl = server.url + FILES_PATH; // what the load generator's Host header makes of it

    // cold start: the first resolution after start-up loads the 100k-IoV tag index from the database
    t = performance.now();
    await resolveChainResponse(deps, { tags: [published], exp: 1, run: 0 });
    results.cold_first_resolution_published_s = round((performance.now() - t) / 1000, 2);
    const check = await api.get('/resolve', { params: { tag: published, exp: 1, run: 4042 } });
    const checkV2 = await axios.get(`${server.url}${doors.iovPayloads(published, 4042)}`, { validateStatus: () => true });
    if (check.status !== 200 || check.data.payloads.length !== NAMES || checkV2.status !== 200 || checkV2.data.length !== NAMES) {
      throw new Error(`unexpected resolution: ${check.status} ${checkV2.status} ${JSON.stringify(checkV2.data).slice(0, 300)}`);
    }
    // Cold costs per door, then every segment of both tags resolved and encoded once: the timed runs measure the
    // steady state a long-running server is in (answers are cached per segment; 100 segments per tag here).
    for (const tag of [published, running]) {
      if (tag === running) {
        t = performance.now();
        await resolveChainResponse(deps, { tags: [tag], exp: 1, run: 1 });
        results.cold_running_tag_index_load_s = round((performance.now() - t) / 1000, 2);
      }
      const label = tag === published ? 'published' : 'running';
      t = performance.now();
      const missRuns = Array.from({ length: 20 }, (_, k) => k * 500 + 47);
      for (const run of missRuns) (await resolveChainResponse(deps, { tags: [tag], exp: 1, run })).gzip();
      results[`resolve_${label}_miss_ms`] = round((performance.now() - t) / missRuns.length, 2);
      t = performance.now();
      for (const run of missRuns) encodeIovPayloads(await conditionsCache(deps).resolve([tag], 1, run), baseUrl).gzip();
      results[`iovpayloads_${label}_encode_ms`] = round((performance.now() - t) / missRuns.length, 2);
      for (const run of runs) {
        const r = await resolveChainResponse(deps, { tags: [tag], exp: 1, run });
        r.gzip();
        encodeIovPayloads(r, baseUrl).gzip();
      }
    }
    const v1Gzip = (await resolveChainResponse(deps, { tags: [published], exp: 1, run: 4042 })).gzip();
    const v2Enc = encodeIovPayloads(await conditionsCache(deps).resolve([published], 1, 4042), baseUrl);
    results.response_bytes = { resolve_identity: Buffer.byteLength(JSON.stringify(check.data)), resolve_gzip: v1Gzip.length, iovPayloads_identity: v2Enc.body.length, iovPayloads_gzip: v2Enc.gzip().length };

    // The ceiling: a bare node:http server writing the same cached gzip bytes with the same headers, nothing else.
    const ceilingBytes = { resolve: v1Gzip, iovPayloads: v2Enc.gzip() };
    const cacheHeaders = (body: Buffer) => ({
      ETag: '"ceiling"',
      'Cache-Control': `public, max-age=${PUBLISHED_MAX_AGE_S}, immutable`,
      Vary: 'Accept-Encoding',
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(body.length),
      'Content-Encoding': 'gzip',
    });
    ceilingServer = createServer((req, res) => {
      const body = req.url!.startsWith('/api/') ? ceilingBytes.resolve : ceilingBytes.iovPayloads;
      res.writeHead(200, cacheHeaders(body));
      res.end(body);
    });
    ceilingServer.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => ceilingServer!.listen(0, '127.0.0.1', () => r()));
    const ceilingUrl = `http://127.0.0.1:${(ceilingServer.address() as AddressInfo).port}`;

    const gzipHeaders = { 'accept-encoding': 'gzip' };
    const summary = (r: LoadResult & { serverCpuMsPerRequest: number }) => ({
      rps: round(r.rps, 0),
      p50_ms: round(r.p50, 2),
      p99_ms: round(r.p99, 2),
      errors: r.errors + Object.entries(r.statuses).filter(([st]) => st !== '200').reduce((a, [, n]) => a + n, 0),
      server_cpu_ms_per_request: round(r.serverCpuMsPerRequest, 3),
    });
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    type Sample = ReturnType<typeof summary>;
    /** Medians over the rounds; ratios are taken per round (ceiling and door measured back to back), then the median. */
    const combine = (samples: Sample[], ceilings: Sample[]) => ({
      rps: median(samples.map((x) => x.rps)),
      p50_ms: median(samples.map((x) => x.p50_ms)),
      p99_ms: median(samples.map((x) => x.p99_ms)),
      errors: samples.reduce((a, x) => a + x.errors, 0),
      server_cpu_ms_per_request: median(samples.map((x) => x.server_cpu_ms_per_request)),
      ...(ceilings.length
        ? {
            ratio_to_ceiling: round(median(samples.map((x, k) => x.rps / ceilings[k].rps)), 3),
            cpu_efficiency_vs_ceiling: round(median(samples.map((x, k) => ceilings[k].server_cpu_ms_per_request / x.server_cpu_ms_per_request)), 3),
          }
        : {}),
      rounds_rps: samples.map((x) => x.rps),
    });
    const loadResults: Record<string, Record<string, Record<string, unknown>>> = {};
    for (const connections of connectionCounts) {
      const byDoor: Record<string, Record<string, unknown>> = {};
      for (const [door, path] of Object.entries(doors)) {
        const got = { ceiling: [] as Sample[], published: [] as Sample[], running: [] as Sample[] };
        for (let k = 1; k <= rounds; k++) {
          log(`${connections} connections, ${door}, round ${k}/${rounds}: ceiling, PUBLISHED, RUNNING (${durationS} s each after ${warmupS} s warm-up)`);
          got.ceiling.push(summary(await load(ceilingUrl, runs.map((r) => path(published, r)), connections, durationS, warmupS, gzipHeaders)));
          got.published.push(summary(await load(server.url, runs.map((r) => path(published, r)), connections, durationS, warmupS, gzipHeaders)));
          got.running.push(summary(await load(server.url, runs.map((r) => path(running, r)), connections, durationS, warmupS, gzipHeaders)));
          const [c, p, r] = [got.ceiling.at(-1)!, got.published.at(-1)!, got.running.at(-1)!];
          log(`  ceiling ${c.rps}/s p99 ${c.p99_ms} ms | published ${p.rps}/s (${round((100 * p.rps) / c.rps, 0)} %) p99 ${p.p99_ms} ms | running ${r.rps}/s (${round((100 * r.rps) / c.rps, 0)} %) p99 ${r.p99_ms} ms`);
        }
        byDoor[door] = { ceiling: combine(got.ceiling, []), published: combine(got.published, got.ceiling), running: combine(got.running, got.ceiling) };
      }
      loadResults[`connections_${connections}`] = byDoor;
    }
    results.load = loadResults;
    const at256 = loadResults.connections_256;
    if (at256) {
      for (const door of Object.keys(doors)) {
        const d = at256[door] as Record<string, { ratio_to_ceiling: number; p99_ms: number; errors: number }>;
        targets[`${door}_published_at_least_50pct_of_ceiling`] = d.published.ratio_to_ceiling >= 0.5;
        targets[`${door}_published_p99_at_most_50ms`] = d.published.p99_ms <= 50;
        targets[`${door}_running_at_least_25pct_of_ceiling`] = d.running.ratio_to_ceiling >= 0.25;
        targets[`${door}_no_errors`] = d.published.errors === 0 && d.running.errors === 0;
      }
    }

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
    await new Promise<void>((r) => (ceilingServer ? ceilingServer.close(() => r()) : r()));
    ceilingServer?.closeAllConnections();
    await server.close();
    await db.close();
    if (pgdb && !keep) await pgdb.drop();
    rmSync(home, { recursive: true, force: true });
  }
  const out = {
    ...results,
    targets_at_256_connections: targets,
    database: db.kind === 'postgres' ? 'postgresql' : 'pglite',
    date: new Date().toISOString(),
    duration_s: durationS,
    warmup_s: warmupS,
    rounds,
    reading: 'rps, p50, p99: medians over the rounds; ratio_to_ceiling: median of per-round door/ceiling throughput; cpu_efficiency_vs_ceiling: ceiling server CPU per answer / door server CPU per answer (1 = as cheap as the bare server)',
    iovs_per_tag: NAMES * PER_NAME,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavg_at_end: loadavg().map((l) => round(l, 1)) },
    load_generator: 'bench/conditions-load.mjs: node http, keep-alive agent, closed loop per connection, separate process on the same machine; gzip accepted',
    ceiling: 'bare node:http server in the benchmark process writing the door\'s cached gzip answer with the same headers',
    loadavg_at_start: startLoad,
    command: `${base ? 'DATABASE_URL=postgresql://root@127.0.0.1:5432/calibloop_i11 ' : ''}npm run bench -- conditions`,
  };
  const file = writeResult(db.kind === 'postgres' ? 'conditions.json' : 'conditions-pglite.json', out);
  log(`wrote ${file}`);
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}
