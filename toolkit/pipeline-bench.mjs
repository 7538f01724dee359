#!/usr/bin/env node
// @ts-check
/**
 * Runs the whole chain the orchestrator drives — daq, skims, cDST, the seven calibrations with iterations in
 * dependency order per bucket (local database built up as the orchestrator would), mDST — with N parallel jobs, and
 * prints the wall time of each command. The numbers in toolkit/README.md come from here.
 *
 *   node toolkit/pipeline-bench.mjs [--dir DIR] [--buckets 2] [--runs-per-bucket 8] [--files-per-run 2]
 *                                   [--events-per-file 2000] [--jobs 2] [--seed 42] [--exp 12]
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const B2SIM = join(dirname(fileURLToPath(import.meta.url)), 'b2sim.mjs');
const { values: a } = parseArgs({
  options: {
    dir: { type: 'string' }, buckets: { type: 'string', default: '2' }, 'runs-per-bucket': { type: 'string', default: '8' },
    'files-per-run': { type: 'string', default: '2' }, 'events-per-file': { type: 'string', default: '2000' },
    jobs: { type: 'string', default: '2' }, seed: { type: 'string', default: '42' }, exp: { type: 'string', default: '12' },
  },
});
const dir = resolve(a.dir ?? mkdtempSync(join(tmpdir(), 'b2sim-bench-')));
const exp = Number(a.exp);
const buckets = Number(a.buckets);
const runsPerBucket = Number(a['runs-per-bucket']);
const filesPerRun = Number(a['files-per-run']);
const jobs = Number(a.jobs);

/** Calibrations in dependency order (docs/contracts.md), grouped in stages that may run in parallel. */
const STAGES = [
  [['svd_alignment', 'SVDAlignment', 'hlt_mumu_2trk'], ['arich_channel_mask', 'ARICHChannelMask', 'hlt_hadron']],
  [['cdc_momentum_scale', 'CDCMomentumScale', 'hlt_mumu_2trk']],
  [['cdc_dedx_gain', 'CDCdEdxRunGain', 'hlt_bhabha,hlt_hadron'], ['ecl_energy_scale', 'ECLCrystalEnergyScale', 'hlt_bhabha'],
    ['top_module_t0', 'TOPModuleT0', 'hlt_mumu_2trk'], ['klm_strip_efficiency', 'KLMStripEfficiency', 'hlt_mumu_2trk']],
];
const SKIMS = ['hlt_bhabha', 'hlt_mumu_2trk', 'hlt_gamma_gamma', 'hlt_hadron'];
const MAX_ITERATIONS = 5;

/** @type {Record<string, number[]>} wall time per job, ms */
const timings = {};
/** @type {Record<string, number[]>} CPU time per job (user + system, start-up included), ms */
const cpu = {};
let running = 0;
/** @type {(() => void)[]} */
const waiting = [];

/** @param {string[]} args @returns {Promise<any>} */
async function b2sim(args) {
  while (running >= jobs) await new Promise((r) => waiting.push(() => r(undefined)));
  running++;
  const t0 = performance.now();
  try {
    return await new Promise((res, rej) => {
      const env = { ...process.env, B2SIM_CPU_REPORT: '1' };
      execFile(process.execPath, [B2SIM, ...args], { maxBuffer: 64 << 20, env }, (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        const m = /b2sim-cpu-ms (\d+)/.exec(stderr);
        if (m) (cpu[args[0]] ??= []).push(Number(m[1]));
        if (err && !(args[0] === 'calibrate')) rej(new Error(`${args.join(' ')}: ${stderr}`));
        else res(JSON.parse(line));
      });
    });
  } finally {
    (timings[args[0]] ??= []).push(performance.now() - t0);
    running--;
    waiting.shift()?.();
  }
}

const t0 = performance.now();
const firstRun = 1;
const lastRun = firstRun + buckets * runsPerBucket - 1;
await b2sim(['daq', '--exp', String(exp), '--first-run', String(firstRun), '--last-run', String(lastRun),
  '--files-per-run', String(filesPerRun), '--events-per-file', a['events-per-file'] ?? '2000', '--seed', a.seed ?? '42',
  '--raw-dir', join(dir, 'raw'), '--runlist-dir', join(dir, 'runlists')]);
const runs = Array.from({ length: lastRun - firstRun + 1 }, (_, i) => firstRun + i);
const raw = (/** @type {number} */ r, /** @type {number} */ f) => join(dir, 'raw', `e${exp}_r${r}_f${f}.b2raw`);
const skimFile = (/** @type {number} */ r, /** @type {number} */ f, /** @type {string} */ s) => join(dir, 'skim', `e${exp}_r${r}_f${f}_${s}.b2skim`);
const cdstFile = (/** @type {number} */ r, /** @type {string} */ s) => join(dir, 'cdst', `e${exp}_r${r}_${s}.b2cdst`);

await Promise.all(runs.flatMap((r) => Array.from({ length: filesPerRun }, (_, f) => SKIMS.map((s) =>
  b2sim(['skim', '--input', raw(r, f), '--skim', s, '--output', skimFile(r, f, s)]))).flat()));
await Promise.all(runs.flatMap((r) => SKIMS.map((s) => b2sim(['cdst', '--input',
  Array.from({ length: filesPerRun }, (_, f) => skimFile(r, f, s)).join(','), '--output', cdstFile(r, s)]))));

/** Local database lines so far (baseline from earlier buckets + this bucket's payloads), and revisions per name. */
/** @type {string[]} */
const dbLines = [];
/** @type {Record<string, number>} */
const revisions = {};
const summary = [];
for (let b = 0; b < buckets; b++) {
  const bucketRuns = runs.slice(b * runsPerBucket, (b + 1) * runsPerBucket);
  const first = bucketRuns[0];
  const localdb = join(dir, `bucket${b}`, 'localdb');
  mkdirSync(localdb, { recursive: true });
  const writeDb = () => writeFileSync(join(localdb, 'database.txt'), `${dbLines.join('\n')}\n`);
  /** @param {string} payload @param {string} file */
  const publish = (payload, file) => {
    const rev = (revisions[payload] = (revisions[payload] ?? 0) + 1);
    copyFileSync(file, join(localdb, `dbstore_${payload}_rev_${rev}.root`));
    dbLines.push(`dbstore/${payload} ${rev} ${exp},${first},-1,-1`);
  };
  // Payload files of earlier buckets are referenced by revision: copy them into this bucket's database too.
  for (const [payload, rev] of Object.entries(revisions)) {
    for (let r = 1; r <= rev; r++) {
      copyFileSync(join(dir, `bucket${b - 1}`, 'localdb', `dbstore_${payload}_rev_${r}.root`), join(localdb, `dbstore_${payload}_rev_${r}.root`));
    }
  }
  writeDb();
  for (const stage of STAGES) {
    const results = await Promise.all(stage.map(async ([algorithm, payload, skims]) => {
      const list = join(dir, `bucket${b}`, `${algorithm}.list`);
      writeFileSync(list, `${bucketRuns.flatMap((r) => skims.split(',').map((s) => cdstFile(r, s))).join('\n')}\n`);
      let res;
      let it = 0;
      for (; it < MAX_ITERATIONS; it++) {
        res = await b2sim(['calibrate', '--algorithm', algorithm, '--input-list', list, '--output-dir',
          join(dir, `bucket${b}`, algorithm, `iter_${it}`), '--iteration', String(it), '--exp', String(exp),
          '--first-run', String(first), '--localdb', localdb, '--expert-config', '{}']);
        if (res.outcome !== 'iterate') break;
      }
      return { algorithm, payload, res, iterations: Math.min(it + 1, MAX_ITERATIONS) };
    }));
    for (const r of results) {
      summary.push({ bucket: b, algorithm: r.algorithm, outcome: r.res.outcome, iterations: r.iterations, chi2ndf: r.res.metrics.chi2ndf, change: r.res.metrics.change });
      if (r.res.payloads?.[0]) publish(r.payload, r.res.payloads[0].file);
    }
    writeDb();
  }
  const mdst = await Promise.all(bucketRuns.map((r) => b2sim(['mdst', '--input',
    Array.from({ length: filesPerRun }, (_, f) => raw(r, f)).join(','), '--output', join(dir, 'mdst', `e${exp}_r${r}.b2mdst`),
    '--localdb', localdb, '--exp', String(exp), '--run', String(r)])));
  summary.push({ bucket: b, mdstValidationRun: bucketRuns[0], ...mdst[0].validation });
}
const wall = performance.now() - t0;

console.log(`dir: ${dir}`);
console.log(`size: ${buckets} buckets x ${runsPerBucket} runs x ${filesPerRun} files x ${a['events-per-file']} events, ${jobs} parallel jobs`);
for (const s of summary) console.log(JSON.stringify(s));
console.log('command      jobs  wall mean ms  wall max ms  wall total s  cpu mean ms  cpu total s');
let cpuTotal = 0;
for (const [cmd, ts] of Object.entries(timings)) {
  const total = ts.reduce((x, y) => x + y, 0);
  const c = cpu[cmd] ?? [];
  const cTotal = c.reduce((x, y) => x + y, 0);
  cpuTotal += cTotal;
  console.log(`${cmd.padEnd(10)} ${String(ts.length).padStart(6)} ${(total / ts.length).toFixed(0).padStart(13)} ${Math.max(...ts).toFixed(0).padStart(12)} ${(total / 1000).toFixed(1).padStart(13)} ${(cTotal / Math.max(1, c.length)).toFixed(0).padStart(12)} ${(cTotal / 1000).toFixed(1).padStart(12)}`);
}
console.log(`wall clock: ${(wall / 1000).toFixed(1)} s; CPU of all jobs: ${(cpuTotal / 1000).toFixed(1)} s (${(cpuTotal / 1000 / jobs).toFixed(1)} s on ${jobs} idle cores)`);
