/**
 * The long-running server: HTTP API + scheduled ticks on one set of deps.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deps } from './deps.ts';
import { makeApp } from './http/app.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { allTicks, JOB_ENGINE_TICK } from './scheduler/ticks.ts';
import { conditionsHotPath } from './http/v2/hot-path.ts';

export interface RunningServer {
  url: string;
  /** every declared API route with its auth rule */
  routes: { method: string; path: string; auth: unknown }[];
  port: number;
  scheduler: Scheduler;
  close(): Promise<void>;
}

export async function startServer(deps: Deps, opts: { port?: number; host?: string; scheduler?: boolean } = {}): Promise<RunningServer> {
  const app = makeApp(deps);
  // conditions reads for jobs are answered ahead of Express's router when they can be (src/http/v2/hot-path.ts)
  const server: Server = createServer(conditionsHotPath(deps, app));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? deps.config.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const scheduler = new Scheduler(deps, allTicks(deps));
  // a job that ended is recorded, followed up and its slot refilled now, not at the next firing of the job tick
  deps.executor.onJobEnded?.(() => scheduler.trigger(JOB_ENGINE_TICK));
  if (opts.scheduler ?? deps.config.scheduler) scheduler.start();
  deps.logger.info('server listening', { port, database: deps.db.kind, location: deps.db.location, instance: deps.config.instanceId });
  return {
    url: `http://127.0.0.1:${port}`,
    routes: app.locals.routeCatalog,
    port,
    scheduler,
    async close() {
      await scheduler.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
