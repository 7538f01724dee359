/**
 * calibloop's job bookkeeping against pg-boss, the best-known PostgreSQL job queue for Node, on the same PostgreSQL
 * database in the same run, interleaved round by round so that the machine's noise hits both alike
 * (part of `npm run bench -- jobs`, PostgreSQL only):
 *
 * - registration: `createJobs` of 100,000 jobs (unique idempotency keys, duplicates skipped) against pg-boss's
 *   fastest path, `boss.insert` in batches of 5,000 with two batches in flight, of the same 100,000 jobs (their
 *   fields as pg-boss `data`). Every round uses new keys; after each calibloop round the same keys are registered
 *   again and must create nothing (the guarantee is kept while measuring).
 * - cancellation: calibloop's bulk abort of 10,000 jobs selected by run range (one atomic state change; audit in the
 *   same transaction) against `boss.cancel` of the ids of the same 10,000 jobs in pg-boss (this round's jobs of the
 *   same runs, so both sides change rows of the same age), three pairs per round in alternating order.
 *
 * Ratios are taken round by round (the two sides of a round ran back to back, under the same load) and the median of
 * the rounds is reported: `register_ratio` = calibloop's rate / pg-boss's rate (≥ 1.0 is the target), `abort_ratio` =
 * calibloop's abort time / pg-boss's cancel time (≤ 1.0 is the target). Best against best is reported beside them.
 */
import PgBoss from 'pg-boss';
import type { Deps } from '../src/deps.ts';
import type { NewJob } from '../src/domain/new-job.ts';
import { SYSTEM_ACTOR } from '../src/domain/roles.ts';
import { createJobs } from '../src/services/jobs/create-jobs.ts';
import { bulkAbort } from '../src/services/jobs/bulk-jobs.ts';

const QUEUE = 'bench_registration';
const BOSS_BATCH = 5000;
const ABORT_JOBS = 10_000;
/** abort pairs per round: each round's 100,000 jobs hold ten disjoint 10,000-job run ranges */
const ABORTS_PER_ROUND = 3;

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface PeerInput {
  deps: Deps;
  url: string;
  bucketName: string;
  /** the jobs to register, all in one bucket over consecutive runs */
  specs: readonly NewJob[];
  rounds?: number;
  log: (m: string) => void;
}

export interface PeerResult {
  peer: string;
  rounds: number;
  jobs_per_round: number;
  calibloop_register_jobs_per_s: number[];
  pgboss_insert_jobs_per_s: number[];
  calibloop_reregister_created: number;
  register_ratio_per_round: number[];
  register_ratio: number;
  register_ratio_best_vs_best: number;
  calibloop_abort_10k_s: number[];
  pgboss_cancel_10k_s: number[];
  abort_ratio_per_round: number[];
  abort_ratio: number;
  abort_ratio_best_vs_best: number;
  targets: { register_ratio: string; abort_ratio: string };
}

/** Jobs of round `r`: the same shapes with keys and run numbers of their own, so each round inserts new rows. */
function roundSpecs(specs: readonly NewJob[], r: number, runOffset: number): NewJob[] {
  return specs.map((j) => ({ ...j, idempotencyKey: `peer${r}/${j.idempotencyKey}`, run: j.run === null || j.run === undefined ? j.run : j.run + runOffset * r }));
}

async function bossInsert(boss: PgBoss, jobs: readonly NewJob[]): Promise<void> {
  const batches: PgBoss.JobInsert[][] = [];
  for (let i = 0; i < jobs.length; i += BOSS_BATCH) {
    batches.push(jobs.slice(i, i + BOSS_BATCH).map((j) => ({ name: QUEUE, data: j as unknown as object, priority: j.priority ?? 0 })));
  }
  let next = 0;
  const worker = async () => {
    for (let b = next++; b < batches.length; b = next++) await boss.insert(batches[b]!);
  };
  await Promise.all([worker(), worker()]);
}

export async function compareWithPgBoss(input: PeerInput): Promise<PeerResult> {
  const { deps, specs, log } = input;
  const rounds = input.rounds ?? 5;
  const runs = specs.map((j) => j.run ?? 0);
  const firstRun = Math.min(...runs);
  const span = Math.max(...runs) - firstRun + 1;
  const boss = new PgBoss({ connectionString: input.url, schema: 'pgboss_bench', max: 10, supervise: false, schedule: false });
  boss.on('error', (e) => log(`pg-boss error: ${e.message}`));
  await boss.start();
  await boss.createQueue(QUEUE);
  const ours: number[] = [];
  const theirs: number[] = [];
  const ourAbort: number[] = [];
  const theirCancel: number[] = [];
  let reregisterCreated = 0;
  try {
    for (let r = 1; r <= rounds; r++) {
      const jobs = roundSpecs(specs, r, span);
      // alternate who goes first: the second one of a round meets a table (and a machine) a little warmer
      const order = r % 2 ? ['calibloop', 'pgboss'] : ['pgboss', 'calibloop'];
      for (const who of order) {
        const t0 = process.hrtime.bigint();
        if (who === 'calibloop') {
          const res = await createJobs(deps, jobs);
          if (res.created !== jobs.length) throw new Error(`round ${r}: calibloop registered ${res.created} of ${jobs.length}`);
          ours.push(Math.round(jobs.length / seconds(t0)));
        } else {
          await bossInsert(boss, jobs);
          theirs.push(Math.round(jobs.length / seconds(t0)));
        }
      }
      const again = await createJobs(deps, jobs.slice(0, 20_000));
      reregisterCreated += again.created;
      log(`round ${r}: register calibloop ${ours.at(-1)}/s, pg-boss ${theirs.at(-1)}/s (re-register created ${again.created})`);

      // cancellation of 10,000 waiting jobs on each side, ABORTS_PER_ROUND times: the same logical jobs (this round's,
      // of the same 200 runs) on both sides, so both cancel rows registered moments ago; the ids pg-boss cancels are
      // looked up before its clock starts, as a caller of boss.cancel holds them
      const perRun = jobs.filter((j) => j.run === jobs[0]!.run).length;
      const runsPerAbort = Math.ceil(ABORT_JOBS / perRun);
      for (let a = 0; a < ABORTS_PER_ROUND; a++) {
        const fromRun = firstRun + span * r + a * runsPerAbort;
        const lastRun = fromRun + runsPerAbort - 1;
        const ids = (await deps.prisma.$queryRawUnsafe<Array<{ id: string }>>(
          `SELECT id::text FROM pgboss_bench.job WHERE name = $1 AND state = 'created' AND data->>'idempotencyKey' LIKE $2
             AND (data->>'run')::int BETWEEN $3 AND $4`,
          QUEUE, `peer${r}/%`, fromRun, lastRun,
        )).map((x) => x.id);
        const pairOrder = (r + a) % 2 ? ['calibloop', 'pgboss'] : ['pgboss', 'calibloop'];
        for (const who of pairOrder) {
          const t0 = process.hrtime.bigint();
          if (who === 'calibloop') {
            const ab = await bulkAbort(deps, SYSTEM_ACTOR, { filter: { bucket: input.bucketName, runFrom: fromRun, runTo: lastRun }, reason: 'bench' });
            ourAbort.push(seconds(t0));
            if (ab.changed !== ids.length) throw new Error(`round ${r}: calibloop aborted ${ab.changed}, pg-boss has ${ids.length} of the same jobs`);
          } else {
            await boss.cancel(QUEUE, ids);
            theirCancel.push(seconds(t0));
          }
        }
        log(`round ${r}.${a}: abort of ${ids.length} calibloop ${ourAbort.at(-1)!.toFixed(3)} s, pg-boss cancel ${theirCancel.at(-1)!.toFixed(3)} s`);
      }
    }
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
  const registerRatios = ours.map((x, i) => x / theirs[i]!);
  const abortRatios = ourAbort.map((x, i) => x / theirCancel[i]!);
  return {
    peer: `pg-boss ${(await import('pg-boss/package.json', { with: { type: 'json' } })).default.version}`,
    rounds,
    jobs_per_round: specs.length,
    calibloop_register_jobs_per_s: ours,
    pgboss_insert_jobs_per_s: theirs,
    calibloop_reregister_created: reregisterCreated,
    register_ratio_per_round: registerRatios.map((x) => round(x, 2)),
    register_ratio: round(median(registerRatios), 2),
    register_ratio_best_vs_best: round(Math.max(...ours) / Math.max(...theirs), 2),
    calibloop_abort_10k_s: ourAbort.map((x) => round(x)),
    pgboss_cancel_10k_s: theirCancel.map((x) => round(x)),
    abort_ratio_per_round: abortRatios.map((x) => round(x, 2)),
    abort_ratio: round(median(abortRatios), 2),
    abort_ratio_best_vs_best: round(Math.min(...ourAbort) / Math.min(...theirCancel), 2),
    targets: { register_ratio: '>= 1.0 (median of the rounds)', abort_ratio: '<= 1.0 (median of the rounds)' },
  };
}
