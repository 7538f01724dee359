/**
 * Drives the demo experiment through the whole loop with the product's own ticks and services: each round, the DAQ
 * side may drop the next run, the demo's people act on what waits for them (through the API), and every scheduled
 * tick of the server runs once — the same ticks `serve` runs on its cron, only back to back. Everything is decided
 * from the database, so a restarted demo carries on where it stopped and never repeats work.
 *
 * Without `ticks` the driver only plays the DAQ and the people: the servers run their own scheduled ticks (the
 * two-server test drives two `serve` processes this way, its people talking to either).
 */
import type { Deps } from '../../deps.ts';
import type { DemoServer } from './run-demo.ts';
import { allTicks } from '../../scheduler/ticks.ts';

import type { DemoConfig } from '../../config/demo-schema.ts';
import { loopData } from '../buckets/bucket-data.ts';
import { isAcceptingFixes } from '../../domain/fix-window.ts';
import { delivered, deliverRun } from './demo-daq.ts';
import { apiMessage, type DemoPeople } from './demo-people.ts';

/** how long later buckets' windows stay open before the demo manager closes them early */
export const EARLY_CLOSE_AFTER_MS = 15_000;

const AFTER_WINDOW = ['awaiting_blessing', 'blessed', 'reprocessing', 'done'];

export interface DemoBucketView {
  id: number;
  name: string;
  stage: string;
  firstRun: number;
  lastRun: number | null;
  data: unknown;
  window: { id: number; state: string; deadline: Date; openedAt: Date } | null;
  fixes: { id: number; state: string; submittedBy: string }[];
  campaign: { id: number; state: string } | null;
  pendingCandidates: number;
}

export interface DemoView {
  buckets: DemoBucketView[];
}

export interface DemoOutcome {
  status: 'complete' | 'failed' | 'stopped';
  summary: string;
}

/** What the driver needs of the app: it reads the database and the clock; everything it does goes through the API. */
export type DriverDeps = Pick<Deps, 'prisma' | 'clock'>;

/** The server's scheduled work, run by the driver back to back once per round. */
export interface DemoTicks {
  names: string[];
  runOnce(name: string): Promise<{ error?: string }>;
}

/** The ticks of an in-process server whose scheduler is off (`npm start`): the same ticks `serve` runs on its cron. */
export function serverTicks(deps: Deps, server: DemoServer): DemoTicks {
  return { names: allTicks(deps).map((t) => t.name), runOnce: (name) => server.scheduler.runOnce(name) };
}

export interface DriverOptions {
  deps: DriverDeps;
  /** run each round after the people acted; absent when the servers run their own scheduler */
  ticks?: DemoTicks;
  demo: DemoConfig;
  dirs: { raw: string; runlists: string };
  people: DemoPeople;
  manager: string;
  expert: string;
  say(line: string): void;
  /** pause between rounds */
  pauseMs: number;
  shouldStop(): boolean;
  /** how long a later bucket's window stays open before the manager closes it early (default EARLY_CLOSE_AFTER_MS) */
  earlyCloseAfterMs?: number;
  /** called each round before the ticks (tests move their ManualClock here) */
  beforeTicks?(view: DemoView): Promise<void> | void;
  startedAt: number;
}

export async function observe(deps: Pick<Deps, 'prisma'>, demo: DemoConfig): Promise<DemoView> {
  const buckets = await deps.prisma.bucket.findMany({ where: { exp: demo.experiment }, orderBy: { firstRun: 'asc' } });
  const ids = buckets.map((b) => b.id);
  const windows = await deps.prisma.fixWindow.findMany({ where: { bucketId: { in: ids } }, include: { fixes: { select: { id: true, state: true, submittedBy: true } } } });
  const campaigns = await deps.prisma.reprocessingCampaign.findMany({ where: { bucketId: { in: ids } } });
  const pending = await deps.prisma.payloadCandidate.groupBy({ by: ['bucketId'], where: { bucketId: { in: ids }, state: 'pending' }, _count: { _all: true } });
  return {
    buckets: buckets.map((b) => {
      const w = windows.find((x) => x.bucketId === b.id);
      const c = campaigns.find((x) => x.bucketId === b.id);
      return {
        id: b.id,
        name: b.name,
        stage: b.stage,
        firstRun: b.firstRun,
        lastRun: b.lastRun,
        data: b.data,
        window: w ? { id: w.id, state: w.state, deadline: w.deadline, openedAt: w.openedAt } : null,
        fixes: w?.fixes ?? [],
        campaign: c ? { id: c.id, state: c.state } : null,
        pendingCandidates: pending.find((p) => p.bucketId === b.id)?._count._all ?? 0,
      };
    }),
  };
}

function bucketOfRun(view: DemoView, run: number): DemoBucketView | undefined {
  return view.buckets.find((b) => b.firstRun <= run && (b.lastRun === null || run <= b.lastRun));
}

/** The next run the DAQ side may deliver now, if any. */
export function nextRun(view: DemoView, demo: DemoConfig, isDelivered: (run: number) => boolean): number | undefined {
  for (let i = 0; i < demo.bucketRuns.length; i++) {
    const range = demo.bucketRuns[i];
    for (let r = range.firstRun; r <= range.lastRun; r++) {
      if (isDelivered(r)) continue;
      if (i > 0) {
        const prev = bucketOfRun(view, demo.bucketRuns[i - 1].lastRun);
        // the next bucket's runs start once the previous bucket is closed, so runs never land in the wrong bucket
        if (!prev || prev.stage === 'open') return undefined;
        // its last run (which closes it) waits until the previous bucket's fix is in: its calibration then reads the
        // fixing tag first in its chain
        if (r === range.lastRun && !(AFTER_WINDOW.includes(prev.stage) || prev.fixes.some((f) => f.state === 'approved'))) return undefined;
      }
      return r;
    }
  }
  return undefined;
}

export function isComplete(view: DemoView, demo: DemoConfig): boolean {
  return view.buckets.length >= demo.buckets && view.buckets.slice(0, demo.buckets).every((b) => b.stage === 'done' && b.campaign?.state === 'finished');
}

export async function demoSummary(deps: Pick<Deps, 'prisma'>, demo: DemoConfig, startedAt: number): Promise<string> {
  const view = await observe(deps, demo);
  const ids = view.buckets.map((b) => b.id);
  const blessed = view.buckets.filter((b) => loopData(b).blessedAt);
  const finished = view.buckets.filter((b) => b.campaign?.state === 'finished');
  const runs = await deps.prisma.run.count({ where: { exp: demo.experiment } });
  const jobs = await deps.prisma.job.groupBy({ by: ['state'], where: { bucketId: { in: ids } }, _count: { _all: true } });
  const count = (s: string) => jobs.find((j) => j.state === s)?._count._all ?? 0;
  const total = jobs.reduce((n, j) => n + j._count._all, 0);
  const fixes = view.buckets.reduce((n, b) => n + b.fixes.filter((f) => f.state === 'approved').length, 0);
  const secs = Math.round((Date.now() - startedAt) / 1000);
  return (
    `${blessed.length} buckets blessed (${blessed.map((b) => b.name).join(', ')}), ${finished.length} reprocessing campaigns finished, ` +
    `${runs} runs, ${total} jobs (${count('succeeded')} succeeded, ${count('failed')} failed), ${fixes} fix approved, in ${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s`
  );
}

export async function driveDemo(o: DriverOptions): Promise<DemoOutcome> {
  const { deps, demo } = o;
  const stages = new Map<string, string>();
  const problems = new Map<string, string>();
  let lastStatus = 0;
  const elapsed = () => {
    const s = Math.round((Date.now() - o.startedAt) / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  const say = (line: string) => o.say(`[demo ${elapsed()}] ${line}`);
  const attempt = async (key: string, what: () => Promise<void>) => {
    try {
      await what();
      problems.delete(key);
    } catch (e) {
      const msg = apiMessage(e);
      if (problems.get(key) !== msg) say(`${key}: not yet (${msg}); retrying`);
      problems.set(key, msg);
    }
  };

  while (!o.shouldStop()) {
    const view = await observe(deps, demo);
    for (const b of view.buckets) {
      const before = stages.get(b.name);
      if (before !== b.stage) {
        say(`${b.name} (runs ${demo.experiment}/${b.firstRun}-${b.lastRun ?? '…'}): ${before ? `${before} → ` : ''}${b.stage}`);
        stages.set(b.name, b.stage);
      }
    }
    if (isComplete(view, demo)) return { status: 'complete', summary: await demoSummary(deps, demo, o.startedAt) };
    const failed = view.buckets.find((b) => b.stage === 'failed');
    if (failed) {
      const d = (failed.data ?? {}) as { failure?: string };
      return { status: 'failed', summary: `bucket ${failed.name} failed: ${d.failure ?? 'see calibloop bucket show ' + failed.name}` };
    }

    // the DAQ side
    const run = nextRun(view, demo, (r) => delivered(o.dirs.runlists, demo.experiment, r));
    if (run !== undefined) {
      await attempt(`DAQ run ${run}`, async () => {
        await deliverRun(demo, run, o.dirs);
        say(`DAQ: run ${demo.experiment}/${run} taken (${demo.filesPerRun} raw files${demo.corruptRuns.includes(run) ? ', some corrupt' : ''}); run list dropped into the run source`);
      });
    }

    // the people
    const first = view.buckets[0];
    for (const b of view.buckets) {
      if (b.stage === 'awaiting_approval' && b.pendingCandidates > 0) {
        await attempt(`${o.manager} approving ${b.name}`, async () => {
          const n = await o.people.approveCandidates(b.name);
          say(`${o.manager} (demo account) approved ${n} payload candidate(s) of ${b.name}`);
        });
      }
      if (b.stage === 'fix_window' && b.window) {
        if (b === first && b.fixes.length === 0 && isAcceptingFixes(b.window, deps.clock.now())) {
          await attempt(`${o.expert} uploading a fix`, async () => {
            const snapshot = loopData(b).promptTag ?? '';
            const f = await o.people.uploadEclFix(b.name, demo.experiment, b.firstRun, b.lastRun ?? b.firstRun, snapshot);
            say(`${o.expert} (demo account) uploaded fix ${f.id}: ECLCrystalEnergyScale rev ${f.revision} for runs ${b.firstRun}-${b.lastRun} of ${b.name}`);
          });
        }
        // later buckets: no expert has a fix, so the manager closes their window early (the first bucket's expires)
        const openFor = deps.clock.now().getTime() - b.window.openedAt.getTime();
        if (b !== first && b.fixes.length === 0 && b.window.state === 'open' && openFor >= (o.earlyCloseAfterMs ?? EARLY_CLOSE_AFTER_MS) && isAcceptingFixes(b.window, deps.clock.now())) {
          await attempt(`${o.manager} closing the window of ${b.name}`, async () => {
            await o.people.closeWindowEarly(b.name, `demo: every detector reported no fix for ${b.name}`);
            say(`${o.manager} (demo account) closed the fix window of ${b.name} early: no detector has a fix`);
          });
        }
        for (const f of b.fixes.filter((x) => x.state === 'pending')) {
          await attempt(`${o.manager} approving fix ${f.id}`, async () => {
            await o.people.approveFix(f.id);
            say(`${o.manager} (demo account) approved fix ${f.id}: it goes into the fixing tag, first in the next calibration's chain`);
          });
        }
      }
      if (b.stage === 'awaiting_blessing') {
        await attempt(`${o.manager} blessing ${b.name}`, async () => {
          const r = await o.people.bless(b.name);
          say(`${o.manager} (demo account) blessed ${r.finalTag}; reprocessing campaign ${r.campaign} created`);
        });
      }
      if (b.stage === 'blessed' && b.campaign?.state === 'created') {
        await attempt(`${o.manager} launching campaign ${b.campaign.id}`, async () => {
          const r = await o.people.launch(b.campaign!.id);
          say(`${o.manager} (demo account, data-production manager) launched reprocessing campaign ${b.campaign!.id}: ${r.jobs} mDST job(s)`);
        });
      }
    }

    await o.beforeTicks?.(view);
    for (const name of o.ticks?.names ?? []) {
      if (o.shouldStop()) break;
      const r = await o.ticks!.runOnce(name);
      if (r.error && problems.get(`tick ${name}`) !== r.error) {
        say(`tick ${name} failed: ${r.error} (see the log); retrying`);
        problems.set(`tick ${name}`, r.error);
      }
    }
    if (Date.now() - lastStatus > 20_000) {
      lastStatus = Date.now();
      const jobs = await deps.prisma.job.groupBy({ by: ['state'], _count: { _all: true } }).catch(() => []);
      if (jobs.length) say(`jobs: ${jobs.map((j) => `${j._count._all} ${j.state}`).join(', ')}`);
    }
    if (o.pauseMs > 0) await new Promise((r) => setTimeout(r, o.pauseMs));
  }
  return { status: 'stopped', summary: '' };
}

