/**
 * Everything with a side effect that services use, passed in (never imported as singletons), so tests build the same
 * graph with a real database and a fake clock. Later parts add their ports here (payload store, executor, notifier).
 */
import type { Database, Prisma } from './db/database.ts';
import type { Clock } from './domain/clock.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { AppConfig } from './config/app-config.ts';
import type { PayloadStore } from './storage/payload-store.ts';
import type { Notifier } from './clients/notifier.ts';
import type { Executor } from './executors/executor.ts';
import type { ProductionConfig } from './config/production-schema.ts';

export interface Deps {
  db: Database;
  prisma: Prisma;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  config: AppConfig;
  /** delivers loop notifications (webhook, or the log when CALIBLOOP_WEBHOOK_URL is unset); fed by the outbox tick */
  notifier: Notifier;
  /** where jobs run: the local process executor (default) or Slurm, from CALIBLOOP_EXECUTOR */
  executor: Executor;
  /** config/production.yaml (CALIBLOOP_PRODUCTION_FILE), parsed once at start-up */
  production: ProductionConfig;
  /** content-addressed payload bytes under config.payloadDir (conditions store) */
  payloadStore: PayloadStore;
}
