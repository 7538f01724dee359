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
import { createFilesystemPayloadStore } from './storage/payload-store.ts';
import { registerDomainMetrics } from './observability/domain-metrics.ts';
import { createNotifier, type Notifier } from './clients/notifier.ts';
import type { Executor } from './executors/executor.ts';
import { createLocalExecutor } from './executors/local-executor.ts';
import { createSlurmExecutor } from './executors/slurm-executor.ts';
import { loadSlurmExecutorOptions } from './config/slurm-config.ts';
import { loadProductionConfig, type ProductionConfig } from './config/production-schema.ts';

export interface Overrides {
  db?: Database;
  clock?: Clock;
  logger?: Logger;
  notifier?: Notifier;
  executor?: Executor;
  production?: ProductionConfig;
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
    notifier: overrides.notifier ?? createNotifier(config, logger),
    production: overrides.production ?? loadProductionConfig(config.productionFile, config.home),
    executor: overrides.executor ?? createExecutor(config, logger),
    payloadStore: createFilesystemPayloadStore(config.payloadDir),
  };
  // DEPS-EXTENSIONS (keep this marker: areas attach their ports below)
  registerDomainMetrics(deps);
  return deps;
}

/** The executor named by CALIBLOOP_EXECUTOR. */
function createExecutor(config: AppConfig, logger: Logger): Executor {
  switch (config.executor) {
    case 'local':
      return createLocalExecutor({ concurrency: config.localConcurrency, logger });
    case 'slurm':
      return createSlurmExecutor({ ...loadSlurmExecutorOptions(config), logger });
    default:
      throw new Error(`executor ${config.executor} is not available in this build`);
  }
}
