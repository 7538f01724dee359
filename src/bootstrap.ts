/**
 * Builds the dependency graph of a process from its configuration: database (migrated), clock, logs, metrics, and
 * the ports later parts add. Tests call it with overrides (fake clock, test database).
 */
import type { AppConfig } from './config/app-config.ts';
import type { Deps } from './deps.ts';
import { openDatabase, type Database } from './db/database.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';

export interface Overrides {
  db?: Database;
  clock?: Clock;
  logger?: Logger;
}

export async function createDeps(config: AppConfig, overrides: Overrides = {}): Promise<Deps> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const db =
    overrides.db ??
    (await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dbDir, migrate: true }));
  const deps: Deps = {
    db,
    prisma: db.prisma,
    clock: overrides.clock ?? systemClock,
    logger,
    metrics: createMetrics(),
    config,
  };
  // DEPS-EXTENSIONS (keep this marker: areas attach their ports below)
  return deps;
}
