/**
 * Two real servers (`node bin/calibloop.js serve`, each with its own scheduler) on one PostgreSQL database and one
 * state directory run the whole demo together — runs → bucket → skims and cDSTs → calibrations → approval → running
 * update and snapshot → prompt processing → fix window with the ECL expert's fix approved → blessing → reprocessing
 * campaigns, for both buckets. The demo's own driver (src/services/demo/demo-driver.ts) plays the DAQ and the people,
 * without running ticks: the servers run those on their cron, and every decision (approve, fix, close, bless, launch)
 * goes through the REST API of a server picked at random. At a random moment after work started one server is
 * killed -9 and never restarted; the other finishes alone. The result must equal a single-server control run of the
 * same demo on its own database: buckets blessed, campaigns with their jobs, jobs by step and state, fixes — and no
 * program started twice (executor program starts == distinct job keys). PostgreSQL only: PGlite belongs to one
 * process.
 *
 * Replay: the seed of the random choices (kill delay, which server dies, which server each action goes to) is printed
 * with the kill moment and the phase under way; `TWO_SERVERS_SEED=<seed>` runs the same choices again.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createTestDatabase, usingPostgres } from '../helpers/db.ts';
import { attemptDirs, SHIPPED_PRODUCTION, spawnServe, startsIn, waitFor } from '../helpers/production-support.ts';
import { bucketLifecycle } from '../../src/domain/bucket-stages.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { prepareDemoEnvironment } from '../../src/services/demo/demo-environment.ts';
import { ensureDemoAccounts } from '../../src/services/demo/demo-accounts.ts';
import { demoPeople, type DemoPeople } from '../../src/services/demo/demo-people.ts';
import { driveDemo, observe, type DemoView } from '../../src/services/demo/demo-driver.ts';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/**
 * The demo made small (config/demo.yaml's shape): 2 buckets × 2 runs × 2 files, run 2 with a corrupt file, a 15 s fix
 * window, the second bucket's window closed early after 5 s. Every phase of the demo still happens; only the amount
 * of data and the waiting shrink.
 */
const TEST_DEMO = {
  experiment: 12,
  first_run: 1,
  buckets: 2,
  runs_per_bucket: 2,
  files_per_run: 2,
  events_per_file: 1500,
  seed: 42,
  corrupt_runs: [2],
  corrupt_fraction: 0.5,
  fix_window_seconds: 15,
  manager_username: 'demo_manager',
};

/**
 * `npm start` runs every tick back to back; `serve` runs them on their cron. The shipped production schedule polls the
 * run source and the bucket policy every 30 s and backs a site failure off for 60 s: here every second and no backoff
 * (a launch cut off by the kill is retried at once), the rest of the shipped file unchanged.
 */
function productionFile(home: string): string {
  const prod = parseYaml(readFileSync(SHIPPED_PRODUCTION, 'utf8')) as Record<string, any>;
  prod.schedule = { run_sources: '* * * * * *', buckets: '* * * * * *', production: '* * * * * *', jobs: '* * * * * *' };
  prod.retry = { ...prod.retry, site: { backoff_s: 0, factor: 2, max_backoff_s: 0 } };
  const file = join(home, 'production.yaml');
  writeFileSync(file, stringifyYaml(prod));
  return file;
}

/**
 * When the kill comes: a milestone of the demo (bucket `bucket` reached `stage`, or a later one) picked at random,
 * then `delayMs` more. Tied to progress rather than to the clock, so every phase can be hit whatever the machine's
 * speed, and the kill always lands before the end.
 */
interface KillPlan {
  bucket: number;
  stage: string;
  delayMs: number;
  victim: number;
}

const KILL_STAGES = ['open', 'producing', 'calibrating', 'awaiting_approval', 'snapshotted', 'prompt_processing', 'fix_window', 'awaiting_blessing', 'reprocessing'];

function planKill(random: () => number, servers: number): KillPlan {
  const milestones = Array.from({ length: TEST_DEMO.buckets }, (_, bucket) => KILL_STAGES.map((stage) => ({ bucket, stage }))).flat();
  const m = milestones[Math.floor(random() * milestones.length)];
  // the last bucket's blessing and reprocessing are the demo's last phases and last seconds (under 7.5 s in all on a
  // quiet machine: an 8 s delay after awaiting_blessing once outlived the demo): kill within them
  const last = m.bucket === TEST_DEMO.buckets - 1 && KILL_STAGES.indexOf(m.stage) >= KILL_STAGES.indexOf('awaiting_blessing');
  return { ...m, delayMs: Math.round(random() * (last ? 1_000 : 8_000)), victim: Math.floor(random() * servers) };
}

const reached = (view: DemoView, plan: KillPlan) => {
  const b = view.buckets[plan.bucket];
  return b !== undefined && b.stage !== 'failed' && bucketLifecycle.list.indexOf(b.stage as never) >= bucketLifecycle.list.indexOf(plan.stage as never);
};

/** mulberry32: a small seeded PRNG, so the random choices of a failed run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Server {
  id: string;
  child: ChildProcess;
  lines: string[];
  people: DemoPeople;
  dead: boolean;
  /** actions of the demo's people sent to this server */
  actions: number;
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/** Log lines of work done (not start-up): which server did what share. */
const WORK = new Set(['job state', 'run list stored', 'bucket stage']);
const workLines = (s: Server) => s.lines.filter((l) => l.startsWith('{') && WORK.has(JSON.parse(l).message)).length;

/** Every action of the demo's people goes to a live server picked at random (a load balancer in front of both). */
function routedPeople(servers: Server[], random: () => number): DemoPeople {
  const pick = () => {
    const live = servers.filter((s) => !s.dead);
    const s = live[Math.floor(random() * live.length)];
    s.actions++;
    return s.people;
  };
  return {
    approveCandidates: (...a) => pick().approveCandidates(...a),
    uploadEclFix: (...a) => pick().uploadEclFix(...a),
    approveFix: (...a) => pick().approveFix(...a),
    closeWindowEarly: (...a) => pick().closeWindowEarly(...a),
    bless: (...a) => pick().bless(...a),
    launch: (...a) => pick().launch(...a),
  };
}

interface Outcome {
  summary: Record<string, unknown[]>;
  programStarts: number;
  distinctKeys: number;
  /** keys of jobs that were not cancelled: each of these ran its program */
  ranKeys: number;
  maxStartsInOneAttempt: number;
  durationMs: number;
  shares: Record<string, { work: number; actions: number }>;
  kill?: { atMs: number; server: string; phase: string };
  lines: string[];
}

/** What the demo is doing now, for the record of the kill: bucket stages, fix/campaign states, jobs not ended. */
async function phaseNow(prisma: Parameters<typeof observe>[0]['prisma'], demoConfig: Parameters<typeof observe>[1]): Promise<string> {
  const view = await observe({ prisma }, demoConfig);
  const buckets = view.buckets.map((b) => `${b.name}: ${b.stage}${b.fixes.length ? ` (fix ${b.fixes.map((f) => f.state).join(',')})` : ''}${b.campaign ? ` (campaign ${b.campaign.state})` : ''}`);
  const open = await prisma.job.groupBy({ by: ['step', 'state'], where: { state: { in: ['created', 'submitted', 'running'] } }, _count: { _all: true } });
  return `${buckets.join('; ') || 'no bucket yet'}; jobs not ended: ${open.map((j) => `${j._count._all} ${j.step} ${j.state}`).join(', ') || 'none'}`;
}

/** The whole demo from fresh input on `n` servers; with `kill`, SIGKILL one of them as planned. */
async function demo(n: number, random: () => number, plan?: KillPlan): Promise<Outcome> {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-two-servers-'));
  const database = await createTestDatabase();
  const servers: Server[] = [];
  cleanups.push(async () => {
    for (const s of servers) if (alive(s.child)) s.child.kill('SIGKILL');
    await database.close();
    rmSync(home, { recursive: true, force: true });
  });
  const demoFile = join(home, 'demo.yaml');
  writeFileSync(demoFile, JSON.stringify(TEST_DEMO)); // JSON is YAML
  const env = prepareDemoEnvironment({ home, demoFile, baseEnv: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? home, CALIBLOOP_PRODUCTION_FILE: productionFile(home) } });
  const deps = { prisma: database.prisma, clock: systemClock };
  const accounts = await ensureDemoAccounts(deps, env.demo);
  const query = async <T>(sql: string) => (await database.prisma.$queryRawUnsafe(sql)) as T[];

  const t0 = Date.now();
  for (let i = 0; i < n; i++) {
    const id = `server-${i}`;
    const { child, lines } = spawnServe({ ...env.env, DATABASE_URL: database.url!, PORT: '0', CALIBLOOP_SCHEDULER: 'on', CALIBLOOP_INSTANCE_ID: id, CALIBLOOP_LOCAL_CONCURRENCY: '2', LOG_LEVEL: 'info' });
    servers.push({ id, child, lines, people: undefined as never, dead: false, actions: 0 });
  }
  for (const s of servers) {
    const port = await waitFor(`${s.id} to listen`, () => {
      if (!alive(s.child)) throw new Error(`${s.id} exited: ${s.lines.slice(-5).join('\n')}`);
      const l = s.lines.find((x) => x.includes('"server listening"'));
      return l ? (JSON.parse(l) as { port: number }).port : undefined;
    }, { timeoutMs: 120_000 }); // generous: a loaded machine, or src/ newer than dist/ (bin then runs through tsx)
    s.people = demoPeople(`http://127.0.0.1:${port}`, accounts);
  }
  const lines: string[] = [`[test] ${n} server(s) listening after ${Date.now() - t0} ms`];
  let kill: Outcome['kill'];
  let killing: Promise<void> | undefined;
  let armed = false;
  const watchForKill = (view: DemoView) => {
    if (!plan || armed || !reached(view, plan)) return;
    armed = true;
    const victim = servers[plan.victim];
    setTimeout(() => {
      victim.dead = true;
      victim.child.kill('SIGKILL');
      const atMs = Date.now() - t0;
      killing = phaseNow(database.prisma, env.demo).then((phase) => {
        kill = { atMs, server: victim.id, phase };
        lines.push(`[test] ${victim.id} killed -9 at ${atMs} ms during: ${phase}`);
      });
    }, plan.delayMs);
  };
  const outcome = await driveDemo({
    deps,
    demo: env.demo,
    dirs: { raw: env.paths.raw, runlists: env.paths.runlists },
    people: routedPeople(servers, random),
    manager: accounts.manager,
    expert: accounts.expert,
    say: (l) => lines.push(l),
    pauseMs: 300,
    earlyCloseAfterMs: 5_000,
    // called each round with what the driver saw (it runs no ticks itself: the servers do)
    beforeTicks: watchForKill,
    shouldStop: () => Date.now() - t0 > 10 * 60_000 || servers.every((s) => s.dead || !alive(s.child)),
    startedAt: t0,
  });
  const durationMs = Date.now() - t0;
  await killing;
  // TWO_SERVERS_TRACE=<file>: each server's whole log beside it, for a failure's post-mortem
  if (process.env.TWO_SERVERS_TRACE) for (const s of servers) writeFileSync(`${process.env.TWO_SERVERS_TRACE}.${n}.${s.id}.log`, s.lines.join('\n'));
  const context = () => `${kill ? `kill: ${JSON.stringify(kill)}\n` : ''}${lines.slice(-40).join('\n')}\n${servers.map((s) => `${s.id}: ${s.lines.slice(-5).join('\n')}`).join('\n')}`;
  assert.equal(outcome.status, 'complete', `${n} server(s): the demo did not complete (${outcome.status}: ${outcome.summary})\n${context()}`);
  await waitFor('every job process to end', () => attemptDirs(home).every((d) => !existsSync(join(d, '.launched')) || existsSync(join(d, '.exit'))), { timeoutMs: 60_000 });

  const summary = {
    buckets: await query(`SELECT name, stage, (data->>'blessedAt') IS NOT NULL AS blessed FROM "Bucket" ORDER BY name`),
    campaigns: await query(`SELECT c.name, c.kind, c.state, c."tagName", c."launchedBy", count(j.id)::int AS jobs, count(j.id) FILTER (WHERE j.state = 'succeeded')::int AS succeeded FROM "ReprocessingCampaign" c LEFT JOIN "Job" j ON j."campaignId" = c.id GROUP BY c.id ORDER BY c.name`),
    // a reader of the corrupt file either failed on it or was cancelled before it started (cancel-jobs-reading.ts):
    // which one depends on timing, so both count as one outcome here
    jobs: await query(`SELECT step, variant, CASE WHEN state IN ('failed', 'cancelled') AND "errorClass" = 'input' THEN 'failed_or_cancelled_on_input' ELSE state END AS state, "errorClass", count(*)::int AS n FROM "Job" GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`),
    fixes: await query(`SELECT name, state, "submittedBy", "decidedBy" FROM "Fix" ORDER BY name, state`),
    windows: await query(`SELECT b.name, w.state, w."closedBy" FROM "FixWindow" w JOIN "Bucket" b ON b.id = w."bucketId" ORDER BY b.name`),
  };
  const [{ n: distinctKeys }] = await query<{ n: number }>(`SELECT count(DISTINCT "idempotencyKey")::int AS n FROM "Job"`);
  const [{ n: ranKeys }] = await query<{ n: number }>(`SELECT count(DISTINCT "idempotencyKey")::int AS n FROM "Job" WHERE state <> 'cancelled'`);
  const dirs = attemptDirs(home);
  const programStarts = dirs.reduce((s, d) => s + startsIn(d), 0);
  const maxStartsInOneAttempt = Math.max(0, ...dirs.map((d) => startsIn(d)));
  const shares = Object.fromEntries(servers.map((s) => [s.id, { work: workLines(s), actions: s.actions }]));
  for (const s of servers) if (alive(s.child)) s.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => (alive(s.child) ? new Promise((r) => s.child.once('exit', r)) : undefined)));
  return { summary, programStarts, distinctKeys, ranKeys, maxStartsInOneAttempt, durationMs, shares, kill, lines };
}

test('when two servers run the whole demo together and one is killed -9 at a random moment, then the other finishes with the single-server result and no program ran twice', { skip: !usingPostgres && 'PostgreSQL only: two server processes need one shared database, and PGlite belongs to one process', timeout: 15 * 60_000 }, async (t) => {
  const seed = process.env.TWO_SERVERS_SEED ? Number(process.env.TWO_SERVERS_SEED) : Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  t.diagnostic(`seed ${seed} (replay: TWO_SERVERS_SEED=${seed})`);
  // One program start per job key. The designed exceptions, and only those:
  // - a reader of a corrupt file may be cancelled before it started (cancel-jobs-reading.ts): its key has no start,
  //   so starts may be fewer than keys, but never fewer than the keys of jobs that were not cancelled;
  // - a launch cut off by kill -9 between `.launched` and the wrapper's start is retried once as a new attempt of the
  //   same job (its first attempt never ran the program, so it has no start either). No attempt ever starts twice,
  //   and the total never exceeds the distinct keys: no program ran twice.
  const oneStartPerKey = (o: Outcome, who: string) => {
    assert.ok(o.maxStartsInOneAttempt <= 1, `${who}: no attempt started its program twice`);
    assert.ok(o.programStarts >= o.ranKeys && o.programStarts <= o.distinctKeys, `${who}: ${o.programStarts} program starts for ${o.ranKeys} jobs that ran and ${o.distinctKeys} keys`);
  };
  const plan = planKill(random, 2);
  t.diagnostic(`kill plan: server-${plan.victim}, ${plan.delayMs} ms after e12_bucket${plan.bucket + 1} reached ${plan.stage}`);
  // the control and the two-server run at the same time, each on its own database and home: the demo waits on its
  // ticks' cron and its windows far more than it computes, so this halves the wall time
  const [control, two] = await Promise.all([demo(1, prng(seed + 1)), demo(2, random, plan)]).catch((e: Error) => {
    e.message = `(seed ${seed}, replay with TWO_SERVERS_SEED=${seed}) ${e.message}`;
    throw e;
  });
  oneStartPerKey(control, 'control');
  if (process.env.TWO_SERVERS_TRACE) writeFileSync(process.env.TWO_SERVERS_TRACE, [...control.lines, '----', ...two.lines].join('\n'));
  t.diagnostic(`control ${control.durationMs} ms; two servers ${two.durationMs} ms; kill: ${JSON.stringify(two.kill)}`);
  t.diagnostic(`shares (work log lines, people's actions): ${JSON.stringify(two.shares)}`);
  const replay = `(seed ${seed}; kill ${JSON.stringify(two.kill)})`;
  assert.ok(two.kill && two.kill.atMs < two.durationMs, `the kill happened before the end ${replay}`);
  assert.deepEqual(two.summary, control.summary, `two servers' result equals the control's ${replay}`);
  oneStartPerKey(two, `two servers ${replay}`);
  const survivor = Object.keys(two.shares).find((id) => id !== two.kill!.server)!;
  assert.ok(two.shares[survivor].work > 0, `the survivor did work ${replay}`);
});
