/**
 * `calibloop demo` (what `npm start` runs): on a fresh clone, with nothing installed, start the real server (same
 * code as `serve`: embedded PGlite in the home directory, the local executor, the reference toolkit), create the demo
 * accounts, and drive a small experiment through the whole loop until its buckets are reprocessed; then print one
 * `demo complete:` line and keep serving (or exit, with --exit-when-complete).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import winston from 'winston';
import { loadAppConfig } from '../../config/app-config.ts';
import type { AppConfig } from '../../config/app-config.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Deps } from '../../deps.ts';
import { coerceError } from '../../domain/errors.ts';
import { prepareDemoEnvironment, readDemoState, writeDemoState, type DemoEnvironment } from './demo-environment.ts';
import { ensureDemoAccounts, type DemoAccounts } from './demo-accounts.ts';
import { demoPeople } from './demo-people.ts';
import { demoSummary, driveDemo, isComplete, observe, serverTicks } from './demo-driver.ts';

/** The server the demo drives: what the CLI's demo command starts for it (the demo does not import the server). */
export interface DemoServer {
  port: number;
  scheduler: { start(): void; runOnce(name: string): Promise<{ error?: string }> };
  close(): Promise<void>;
}

/** How to build the app: given by the caller (src/cli/commands/demo.ts wires bootstrap and server), so services do not import them. */
export interface DemoHost {
  createDeps(config: AppConfig, overrides: { logger: Logger }): Promise<Deps>;
  /** the real server, with its scheduler stopped (the demo starts it when the experiment is complete) */
  startServer(deps: Deps): Promise<DemoServer>;
}

export interface DemoOptions {
  host: DemoHost;
  home: string;
  exitWhenComplete: boolean;
  /** with exitWhenComplete: give up (exit 1) after this long */
  timeoutMin: number;
  /** pause between rounds of ticks */
  pauseMs?: number;
  out?: (line: string) => void;
}

export class DemoStartError extends Error {}

/** Refuses early, before the database is opened, when the port is taken (a second server on the same PGlite would be worse). */
async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new DemoStartError(
          e.code === 'EADDRINUSE'
            ? `port ${port} is busy: another calibloop (or something else) is listening there. Stop it, or start the demo on another port: PORT=8081 npm start`
            : `cannot listen on port ${port}: ${e.message}`,
        ),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function takeLock(env: DemoEnvironment): () => void {
  const file = join(env.home, 'demo', 'demo.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    let alive = false;
    try {
      if (pid > 0 && pid !== process.pid) {
        process.kill(pid, 0);
        alive = true;
      }
    } catch {
      alive = false;
    }
    if (alive) throw new DemoStartError(`another demo (pid ${pid}) is running on ${env.home}; stop it first, or use --home DIR`);
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

function fileLogger(file: string, level: string) {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { service: 'calibloop', demo: true },
    transports: [new winston.transports.File({ filename: file })],
  });
}

function banner(env: DemoEnvironment, deps: Deps, server: DemoServer, accounts: DemoAccounts): string {
  const url = `http://localhost:${server.port}`;
  const d = env.demo;
  return [
    '',
    'calibloop demo — a small experiment driven through the whole prompt calibration loop',
    `  experiment ${d.experiment}: ${d.buckets} buckets × ${d.runsPerBucket} runs × ${d.filesPerRun} raw files × ${d.eventsPerFile} events; fix window ${d.fixWindowSeconds} s (demo only; the product default is 48 h)`,
    '',
    `  API        ${url}/api/v1          OpenAPI: ${url}/api/v1/openapi.json   health: ${url}/healthz   metrics: ${url}/metrics`,
    `  logs       ${env.paths.logFile} (JSON lines)`,
    `  data       ${env.home}  (database ${deps.db.location}; payloads ${deps.config.payloadDir}; job outputs ${deps.production.dataDir}; job logs ${deps.config.workDir})`,
    `  executor   ${deps.executor.name}`,
    '',
    `  dashboard  ${url}/   (sign in by pasting one of the tokens below)`,
    '',
    '  demo accounts (clearly demo: every action they take is audited under these names):',
    `    ${accounts.manager}     calibration manager and data-production manager`,
    `    ${accounts.expert}  ECL detector expert`,
    `  tokens for the dashboard: calibration manager ${accounts.tokens.calibration}`,
    `                            data-production manager ${accounts.tokens.production}`,
    `                            ECL expert ${accounts.tokens.ecl}`,
    '',
    '  look around from another terminal:',
    `    export CALIBLOOP_URL=${url}`,
    `    export CALIBLOOP_TOKEN=${accounts.tokens.calibration}   # ${accounts.manager}, calibration manager`,
    ...lookAroundCommands(accounts.manager).map((c) => `    ${c}`),
    '  (`calibloop` is on your PATH after `npm link` in this checkout, see README; or run node bin/calibloop.js …)',
    `  (data-production manager token: ${accounts.tokens.production})`,
    '',
  ].join('\n');
}

/** The commands the demo suggests, the README's way (an installed `calibloop`); checked against the CLI by a test. */
export function lookAroundCommands(manager: string): string[] {
  return [
    'calibloop tag list',
    'calibloop bucket list',
    'calibloop calibration list',
    'calibloop window list',
    'calibloop reprocess list',
    'calibloop job list --state running',
    `calibloop audit --actor ${manager}`,
    'calibloop notifications',
  ];
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.out ?? ((line: string) => process.stdout.write(line + '\n'));
  const startedAt = Date.now();
  try {
    await assertPortFree(loadAppConfig({ ...process.env, CALIBLOOP_HOME: opts.home }).port, '0.0.0.0');
  } catch (e) {
    out(`error: ${coerceError(e).message}`);
    return 2;
  }
  const env = prepareDemoEnvironment({ home: opts.home });
  const config = loadAppConfig(env.env);
  const releaseLock = takeLock(env);
  const logger = fileLogger(env.paths.logFile, config.logLevel);
  let deps: Deps | undefined;
  let server: DemoServer | undefined;
  let stopping = false;
  const shutdown = async () => {
    stopping = true;
    await server?.close().catch(() => {});
    await deps?.executor.close().catch(() => {});
    await deps?.db.close().catch(() => {});
    releaseLock();
  };
  try {
    out(`starting calibloop in ${env.home} …`);
    deps = await opts.host.createDeps(config, { logger });
    if (deps.db.kind === 'pglite') await deps.db.shareOnSocket(config.socketDir);
    try {
      server = await opts.host.startServer(deps);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new DemoStartError(err.code === 'EADDRINUSE' ? `port ${config.port} is busy: another calibloop (or something else) is listening there. Stop it, or use PORT=8081 npm start` : err.message);
    }
    const state = readDemoState(env.paths.state);
    const accounts = await ensureDemoAccounts(deps, env.demo, state.tokens);
    writeDemoState(env.paths.state, { ...state, startedAt: state.startedAt ?? new Date(startedAt).toISOString(), tokens: accounts.tokens });
    logger.info('demo started', { home: env.home, port: server.port, manager: accounts.manager, expert: accounts.expert });
    out(banner(env, deps, server, accounts));

    const onSignal = () => {
      out('stopping the demo (run npm start again to carry on where it stopped)');
      void shutdown().then(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    let code = 0;
    const view = await observe(deps, env.demo);
    if (state.completedAt && isComplete(view, env.demo)) {
      out(`the demo already completed at ${state.completedAt}; serving its results`);
      out(`demo complete: ${state.summary ?? (await demoSummary(deps, env.demo, startedAt))} (completed earlier)`);
    } else {
      if (view.buckets.length > 0) out(`carrying on with the demo found in ${env.home} (${view.buckets.map((b) => `${b.name}: ${b.stage}`).join(', ')})`);
      const deadline = opts.exitWhenComplete ? startedAt + opts.timeoutMin * 60_000 : Infinity;
      const outcome = await driveDemo({
        deps,
        ticks: serverTicks(deps, server),
        demo: env.demo,
        dirs: { raw: env.paths.raw, runlists: env.paths.runlists },
        people: demoPeople(`http://127.0.0.1:${server.port}`, accounts),
        manager: accounts.manager,
        expert: accounts.expert,
        say: out,
        pauseMs: opts.pauseMs ?? 1000,
        shouldStop: () => stopping || Date.now() > deadline,
        startedAt,
      });
      if (outcome.status === 'complete') {
        writeDemoState(env.paths.state, { ...readDemoState(env.paths.state), completedAt: new Date().toISOString(), summary: outcome.summary });
        logger.info('demo complete', { summary: outcome.summary });
        out(`demo complete: ${outcome.summary}`);
      } else if (outcome.status === 'failed') {
        out(`demo stopped: ${outcome.summary}`);
        code = 1;
      } else if (!stopping) {
        out(`demo did not complete within ${opts.timeoutMin} min (see ${env.paths.logFile})`);
        code = 1;
      }
    }
    if (opts.exitWhenComplete) {
      await shutdown();
      return code;
    }
    // keep serving, exactly like `serve`: the scheduled ticks on their cron
    server.scheduler.start();
    out(`serving at http://localhost:${server.port} (Ctrl-C to stop)`);
    return await new Promise<number>(() => {});
  } catch (e) {
    await shutdown();
    if (e instanceof DemoStartError) {
      out(`error: ${e.message}`);
      return 2;
    }
    const err = coerceError(e);
    logger.error('demo failed', { error: err.message, stack: err.stack });
    out(`error: ${err.message} (see ${env.paths.logFile})`);
    return 1;
  }
}
