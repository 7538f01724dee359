/**
 * Process configuration from the environment, parsed once at start-up with zod (fail fast, every key documented).
 * The resolved config is typed separately from the raw environment.
 */
import { resolve, join } from 'node:path';
import { availableParallelism, hostname } from 'node:os';
import { z } from 'zod';
import { ROOT_DIR } from '../db/paths.ts';

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080).describe('HTTP port of the API server (0 = any free port)'),
  DATABASE_URL: z.string().url().optional().describe('PostgreSQL connection string; when unset, embedded PGlite in $CALIBLOOP_HOME/db'),
  CALIBLOOP_HOME: z.string().default('./var').describe('state directory: embedded database, payload store, job work dirs, logs'),
  CALIBLOOP_CALIBRATIONS_DIR: z.string().optional().describe('calibration definitions (default: calibrations/ of the installation)'),
  CALIBLOOP_GLOBALTAGS_DIR: z.string().optional().describe('global tag and chain definitions (default: globaltags/ of the installation)'),
  CALIBLOOP_PRODUCTION_FILE: z.string().optional().describe('production steps (default: config/production.yaml of the installation)'),
  CALIBLOOP_EXECUTOR: z.enum(['local', 'slurm']).default('local').describe('where jobs run'),
  CALIBLOOP_LOCAL_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .default(() => availableParallelism())
    .describe('max child processes of the local executor (default: the cores this process may use)'),
  CALIBLOOP_SCHEDULER: z.enum(['on', 'off']).default('on').describe('run the scheduled ticks in this instance'),
  CALIBLOOP_INSTANCE_ID: z.string().optional().describe('name of this server instance in locks and logs (default: host:pid)'),
  CALIBLOOP_WEBHOOK_URL: z.string().url().optional().describe('Mattermost/Slack-compatible incoming webhook for notifications'),
  CALIBLOOP_PUBLIC_URL: z.string().url().optional().describe('the URL people open the dashboard at, for links in notifications (e.g. https://calibloop.belle2.example)'),
  CALIBLOOP_NOTIFY_ROUTES: z
    .string()
    .optional()
    .refine((v) => v === undefined || v.split(',').every((p) => p.trim() === '' || /^[^=\s]+=\S+$/.test(p.trim())), 'kind=channel pairs separated by commas (* for the rest)')
    .describe('per-event routing of notifications: kind=channel or kind=https://other-webhook, comma-separated, *=default'),
  CALIBLOOP_MAX_BODY: z.string().default('1mb').describe('largest JSON request body'),
  CALIBLOOP_MAX_PAYLOAD_BYTES: z.coerce.number().int().positive().default(512 * 1024 * 1024).describe('largest payload upload'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'debug']).default('info'),
});

export type AppConfig = {
  port: number;
  databaseUrl?: string;
  home: string;
  dbDir: string;
  socketDir: string;
  payloadDir: string;
  workDir: string;
  calibrationsDir: string;
  globaltagsDir: string;
  productionFile: string;
  executor: 'local' | 'slurm';
  localConcurrency: number;
  scheduler: boolean;
  instanceId: string;
  webhookUrl?: string;
  publicUrl?: string;
  notifyRoutes?: string;
  maxBody: string;
  maxPayloadBytes: number;
  logLevel: string;
};

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid environment:\n${lines}`);
  }
  const e = parsed.data;
  const home = resolve(e.CALIBLOOP_HOME);
  return {
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    home,
    dbDir: join(home, 'db'),
    socketDir: join(home, 'run'),
    payloadDir: join(home, 'payloads'),
    workDir: join(home, 'jobs'),
    calibrationsDir: resolve(e.CALIBLOOP_CALIBRATIONS_DIR ?? join(ROOT_DIR, 'calibrations')),
    globaltagsDir: resolve(e.CALIBLOOP_GLOBALTAGS_DIR ?? join(ROOT_DIR, 'globaltags')),
    productionFile: resolve(e.CALIBLOOP_PRODUCTION_FILE ?? join(ROOT_DIR, 'config', 'production.yaml')),
    executor: e.CALIBLOOP_EXECUTOR,
    localConcurrency: e.CALIBLOOP_LOCAL_CONCURRENCY,
    scheduler: e.CALIBLOOP_SCHEDULER === 'on',
    instanceId: e.CALIBLOOP_INSTANCE_ID ?? `${hostname()}:${process.pid}`,
    webhookUrl: e.CALIBLOOP_WEBHOOK_URL,
    publicUrl: e.CALIBLOOP_PUBLIC_URL,
    notifyRoutes: e.CALIBLOOP_NOTIFY_ROUTES,
    maxBody: e.CALIBLOOP_MAX_BODY,
    maxPayloadBytes: e.CALIBLOOP_MAX_PAYLOAD_BYTES,
    logLevel: e.LOG_LEVEL,
  };
}
