/**
 * The gauges a manager alerts on, computed from the database when Prometheus scrapes (a few GROUP BYs on indexed
 * columns), so every instance reports the same truth and nothing drifts after a restart.
 */
import client from 'prom-client';
import type { Deps } from '../deps.ts';
import { conditionsCacheStats } from '../services/conditions/support/resolution-cache.ts';

type Source = Pick<Deps, 'prisma' | 'clock' | 'metrics'>;

export function registerDomainMetrics(deps: Source): void {
  const registers = [deps.metrics.registry];
  const { prisma, clock } = deps;
  new client.Gauge({
    name: 'calibloop_jobs',
    help: 'jobs by production step and state',
    labelNames: ['step', 'state'],
    registers,
    async collect() {
      const rows = await prisma.job.groupBy({ by: ['step', 'state'], _count: { _all: true } });
      this.reset();
      for (const r of rows) this.set({ step: r.step, state: r.state }, r._count._all);
    },
  });
  new client.Gauge({
    name: 'calibloop_buckets',
    help: 'buckets by stage',
    labelNames: ['stage'],
    registers,
    async collect() {
      const rows = await prisma.bucket.groupBy({ by: ['stage'], _count: { _all: true } });
      this.reset();
      for (const r of rows) this.set({ stage: r.stage }, r._count._all);
    },
  });
  new client.Gauge({
    name: 'calibloop_pending',
    help: 'work waiting for a person: payload candidates, algorithm requests, fixes',
    labelNames: ['what'],
    registers,
    async collect() {
      const [candidates, requests, fixes] = await Promise.all([
        prisma.payloadCandidate.count({ where: { state: 'pending' } }),
        prisma.algorithmRequest.count({ where: { state: 'submitted' } }),
        prisma.fix.count({ where: { state: 'pending' } }),
      ]);
      this.set({ what: 'candidates' }, candidates);
      this.set({ what: 'requests' }, requests);
      this.set({ what: 'fixes' }, fixes);
    },
  });
  new client.Gauge({
    name: 'calibloop_fix_window_seconds_to_deadline',
    help: 'seconds until the deadline of each open fix window (negative: overdue, the close tick has not run)',
    labelNames: ['bucket'],
    registers,
    async collect() {
      const windows = await prisma.fixWindow.findMany({ where: { state: 'open' }, select: { deadline: true, bucketId: true } });
      const names = new Map((await prisma.bucket.findMany({ where: { id: { in: windows.map((w) => w.bucketId) } }, select: { id: true, name: true } })).map((b) => [b.id, b.name]));
      const now = clock.now().getTime();
      this.reset();
      for (const w of windows) this.set({ bucket: names.get(w.bucketId) ?? String(w.bucketId) }, Math.round((w.deadline.getTime() - now) / 1000));
    },
  });
  new client.Gauge({
    name: 'calibloop_schedule_lag_seconds',
    help: 'seconds since each scheduled tick last completed (on any instance)',
    labelNames: ['schedule'],
    registers,
    async collect() {
      const rows = await prisma.schedule.findMany({ select: { name: true, lastRunAt: true } });
      const now = clock.now().getTime();
      this.reset();
      for (const r of rows) if (r.lastRunAt) this.set({ schedule: r.name }, Math.max(0, Math.round((now - r.lastRunAt.getTime()) / 1000)));
    },
  });
  const cacheCounter = (name: string, help: string, pick: (s: { hits: number; misses: number }) => number) =>
    new client.Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(pick(conditionsCacheStats(prisma)));
      },
    });
  cacheCounter('calibloop_resolution_cache_hits_total', 'conditions resolutions answered from the in-memory cache', (s) => s.hits);
  cacheCounter('calibloop_resolution_cache_misses_total', 'conditions resolutions computed (cache miss)', (s) => s.misses);
}
