/**
 * Everything with a side effect that services use, passed in (never imported as singletons), so tests build the same
 * graph with a real database and a fake clock. Later parts add their ports here (payload store, executor, notifier).
 */
import type { Database, Prisma } from './db/database.ts';
import type { Clock } from './domain/clock.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { AppConfig } from './config/app-config.ts';

export interface Deps {
  db: Database;
  prisma: Prisma;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  config: AppConfig;
}
