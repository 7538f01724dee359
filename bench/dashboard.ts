/**
 * `npm run bench -- dashboard`: the overview and bucket pages in real Chromium on a bucket-7-sized database (359
 * runs, ~3,000 jobs, 7 calibrations with candidates), served by the real server. Per page, the median over fresh
 * page loads of time to first render (first-contentful-paint) and time to data (the page marks body[data-page] once
 * its data is on screen). Peers in the same run: the shell alone (a route that fetches nothing) and the API calls the
 * pages make, timed from Node. Target: ≤ 1 s each. Writes bench/results/dashboard.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../src/config/app-config.ts';
import { createDeps } from '../src/bootstrap.ts';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startServer } from '../src/server.ts';
import { createToken } from '../src/services/identity/tokens.ts';
import { SYSTEM_ACTOR } from '../src/domain/roles.ts';
import type { Deps } from '../src/deps.ts';
import { freshPostgres } from './support/fresh-postgres.ts';
import { launchChromium } from '../test/browser/chromium.ts';
import { writeResult } from './support/write-result.ts';

const RUNS = 359;
const FIRST_RUN = 1001;
const SKIMS = ['bhabha', 'mumu', 'hadron', 'cosmic'];
const CALIBRATIONS: Array<[string, string, string, number]> = [
  ['svd_alignment', 'svd', 'SVDAlignment', 24], ['cdc_momentum', 'cdc', 'CDCMomentumScale', 1], ['cdc_dedx', 'cdc', 'CDCdEdxRunGain', 1],
  ['ecl_energy', 'ecl', 'ECLCrystalEnergyScale', 16], ['top_t0', 'top', 'TOPModuleT0', 16], ['arich_mask', 'arich', 'ARICHChannelMask', 3], ['klm_efficiency', 'klm', 'KLMStripEfficiency', 16],
];
const REPEAT = 7;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function seed(deps: Deps): Promise<string> {
  const p = deps.prisma;
  const name = 'e12_bucket7';
  const b = await p.bucket.create({ data: { name, exp: 12, seq: 7, firstRun: FIRST_RUN, lastRun: FIRST_RUN + RUNS - 1, stage: 'awaiting_approval', closedAt: new Date() } });
  await p.run.createMany({ data: Array.from({ length: RUNS }, (_, i) => ({ exp: 12, run: FIRST_RUN + i, type: 'physics', luminosity: 1.5, eventsOffline: 24000n, bucketId: b.id, quality: {}, ...(i % 97 === 5 ? { flag: 'input_error', flagReason: 'corrupt raw file', flaggedAt: new Date() } : {}) })) });
  const jobs = [];
  for (let i = 0; i < RUNS; i++) {
    const run = FIRST_RUN + i;
    for (const skim of SKIMS) {
      const failed = (run * 7 + skim.length) % 53 === 0;
      jobs.push({ bucketId: b.id, step: 'hlt_skim', variant: skim, exp: 12, run, idempotencyKey: `hlt_skim/${skim}/e12/r${run}`, state: failed ? 'failed' : 'succeeded', attempts: 1, eventsIn: 6000n, eventsOut: 1500n, ...(failed ? { errorClass: 'input', errorMessage: 'exit 65: corrupt event' } : {}) });
      jobs.push({ bucketId: b.id, step: 'cdst', variant: skim, exp: 12, run, idempotencyKey: `cdst/${skim}/e12/r${run}`, state: failed ? 'cancelled' : 'succeeded', attempts: failed ? 0 : 1, eventsIn: 1500n, eventsOut: 1500n });
    }
  }
  await p.job.createMany({ data: jobs });
  for (const [calibration, detector, payload, nValues] of CALIBRATIONS) {
    const run = await p.calibrationRun.create({ data: { key: `${name}:${calibration}:plan`, bucketId: b.id, calibration, detector, exp: 12, firstRun: FIRST_RUN, lastRun: FIRST_RUN + RUNS - 1, state: 'converged', iteration: 1, tagChain: ['data_prompt_running'], inputs: { files: RUNS, events: RUNS * 1500, runs: Array.from({ length: RUNS }, (_, i) => FIRST_RUN + i) } } });
    const values = Object.fromEntries(Array.from({ length: nValues }, (_, k) => [`c${k}`, 1 + k / 100]));
    const errors = Object.fromEntries(Array.from({ length: nValues }, (_, k) => [`c${k}`, 0.002]));
    for (const iteration of [0, 1]) {
      const job = await p.job.create({ data: { bucketId: b.id, step: 'calibration', variant: calibration, exp: 12, idempotencyKey: `calibration/${calibration}/${name}/iter${iteration}`, state: 'succeeded', attempts: 1, calibrationRunId: run.id } });
      await p.calibrationIteration.create({ data: { calibrationRunId: run.id, iteration, outcome: iteration ? 'converged' : 'iterate', jobId: job.id, metrics: { chi2ndf: 1.02, nEvents: RUNS * 1500, values, uncertainties: errors }, tagChain: ['data_prompt_running'], finishedAt: new Date() } });
    }
    const stored = await p.payload.create({ data: { name: payload, revision: 1, md5: '0'.repeat(32), sha256: calibration.padEnd(64, '0'), size: 100n, storageKey: `bench/${payload}`, createdBy: 'system' } });
    await p.payloadCandidate.create({ data: { bucketId: b.id, calibrationRunId: run.id, calibration, detector, iteration: 1, payloadId: stored.id, name: payload, revision: 1, firstExp: 12, firstRun: FIRST_RUN, finalExp: -1, finalRun: -1, metrics: { chi2ndf: 1.02, values, uncertainties: errors, validationImages: [] }, state: 'pending' } });
  }
  return name;
}

export async function main(args: string[]): Promise<void> {
  const keep = args.includes('--keep');
  const log = (m: string) => process.stderr.write(`[bench dashboard] ${m}\n`);
  const loadAtStart = loadavg().map((x) => round(x));
  const pgBase = process.env.DATABASE_URL;
  const fresh = pgBase ? await freshPostgres(pgBase, process.env.BENCH_DB_PREFIX ?? 'calibloop_bench_dashboard') : undefined;
  const db = await openDatabase(fresh ? { url: fresh.url, migrate: true, poolSize: 10 } : { migrate: true });
  const home = mkdtempSync(join(tmpdir(), 'calibloop-bench-dashboard-'));
  const deps = await createDeps(loadAppConfig({ CALIBLOOP_HOME: home, CALIBLOOP_SCHEDULER: 'off', PORT: '0' }), { db, logger: createLogger('warn') });
  const server = await startServer(deps, { port: 0, host: '127.0.0.1', scheduler: false });
  const browser = await launchChromium();
  try {
    log(`database: ${db.kind}`);
    const bucket = await seed(deps);
    const jobs = await deps.prisma.job.count();
    log(`seeded ${bucket}: ${RUNS} runs, ${jobs} jobs, ${CALIBRATIONS.length} calibrations`);
    const { token } = await createToken(deps.prisma, deps.clock, SYSTEM_ACTOR, { user: 'bench', role: 'calibration_manager', detectors: [] });
    await browser.context.addInitScript((t) => {
      sessionStorage.setItem('calibloop.token', t);
      document.addEventListener('DOMContentLoaded', () => {
        new MutationObserver(() => {
          if (document.body.dataset.page && !(window as any).__dataAt) (window as any).__dataAt = performance.now();
        }).observe(document.body, { attributes: true, attributeFilter: ['data-page'] });
        // the bucket page's completeness per run arrives after its first data (it reads every unit of the bucket)
        new MutationObserver(() => {
          if (!(window as any).__completenessAt && document.querySelector('[data-loaded]')) (window as any).__completenessAt = performance.now();
        }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-loaded'] });
      });
    }, token);

    const measure = async (hash: string, page: string, completeness = false) => {
      const first: number[] = [];
      const data: number[] = [];
      const complete: number[] = [];
      for (let i = 0; i <= REPEAT; i++) {
        const tab = await browser.context.newPage();
        await tab.goto(`${server.url}/${hash}`);
        await tab.waitForFunction((p) => document.body.dataset.page === p, page, { timeout: 30_000 });
        if (completeness) await tab.waitForSelector('[data-testid=completeness][data-loaded]', { timeout: 30_000 });
        const t = await tab.evaluate(() => ({ fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN, data: (window as any).__dataAt as number, complete: (window as any).__completenessAt as number | undefined }));
        await tab.close();
        if (i === 0) continue; // warm-up: first load of the modules and the database's caches
        first.push(t.fcp);
        data.push(t.data);
        if (t.complete !== undefined) complete.push(t.complete);
      }
      return {
        firstRenderMs: round(median(first)),
        dataMs: round(median(data)),
        ...(complete.length ? { completenessPerRunMs: round(median(complete)) } : {}),
        samplesFirstRenderMs: first.map((x) => round(x)),
        samplesDataMs: data.map((x) => round(x)),
      };
    };
    const api = async (path: string) => {
      const times: number[] = [];
      for (let i = 0; i <= REPEAT; i++) {
        const t0 = performance.now();
        const r = await fetch(`${server.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` } });
        await r.arrayBuffer();
        if (!r.ok) throw new Error(`${path}: ${r.status}`);
        if (i) times.push(performance.now() - t0);
      }
      return round(median(times));
    };
    const shell = await measure('#/no-such-page', 'not-found');
    log(`shell alone: first render ${shell.firstRenderMs} ms, data ${shell.dataMs} ms`);
    const overview = await measure('#/overview', 'overview');
    log(`overview: first render ${overview.firstRenderMs} ms, data ${overview.dataMs} ms`);
    const bucketPage = await measure(`#/buckets/${bucket}`, 'bucket', true);
    log(`bucket: first render ${bucketPage.firstRenderMs} ms, data ${bucketPage.dataMs} ms, completeness per run ${bucketPage.completenessPerRunMs} ms`);
    const approval = await measure(`#/approval/${bucket}`, 'approval');
    for (const [hash, file] of [['#/overview', 'overview'], [`#/buckets/${bucket}`, 'bucket']]) {
      const tab = await browser.context.newPage();
      await tab.goto(`${server.url}/${hash}`);
      await tab.waitForSelector(file === 'bucket' ? '[data-testid=completeness][data-loaded]' : 'body[data-page]');
      await tab.screenshot({ path: join(import.meta.dirname, '..', '.tmp', `bench-dashboard-${file}.png`), fullPage: true });
      await tab.close();
    }
    log(`approval: first render ${approval.firstRenderMs} ms, data ${approval.dataMs} ms`);
    const apiMs = {
      status: await api('/status'),
      bucket: await api(`/buckets/${bucket}`),
      progress: await api(`/buckets/${bucket}/progress`),
      calibrations: await api(`/calibrations/buckets/${bucket}`),
      completeness: await api(`/buckets/${bucket}/completeness`),
      jobsPage: await api(`/jobs?bucket=${bucket}&limit=50`),
    };
    log(`API (Node fetch, median): ${JSON.stringify(apiMs)}`);
    const result = {
      bench: 'dashboard',
      command: 'npm run bench -- dashboard',
      date: new Date().toISOString(),
      database: db.kind,
      machine: { cpus: cpus().length, loadAtStart, loadAtEnd: loadavg().map((x) => round(x)) },
      data: { runs: RUNS, jobs, calibrations: CALIBRATIONS.length, candidates: CALIBRATIONS.length },
      browser: 'Debian chromium via playwright-core, headless, fresh profile; median of ' + REPEAT + ' fresh page loads after one warm-up',
      targetMs: 1000,
      pages: { overview, bucket: bucketPage, approval },
      peers: { shellAlone: shell, apiMs },
      ratios: {
        overviewDataVsShell: round(overview.dataMs / shell.dataMs, 2),
        bucketDataVsShell: round(bucketPage.dataMs / shell.dataMs, 2),
      },
      withinTarget: [overview.firstRenderMs, overview.dataMs, bucketPage.firstRenderMs, bucketPage.dataMs].every((x) => x <= 1000),
    };
    writeResult('dashboard.json', result);
    log(`wrote bench/results/dashboard.json (within target: ${result.withinTarget})`);
  } finally {
    await browser.close();
    await server.close();
    await deps.executor.close();
    await db.close();
    if (fresh && !keep) await fresh.drop();
    rmSync(home, { recursive: true, force: true });
  }
}
