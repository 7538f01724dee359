/**
 * Starts the real app on port 0 over a fresh test database, with a fake clock, and gives tests an HTTP client and
 * tokens for any role.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { loadAppConfig, type AppConfig } from '../../src/config/app-config.ts';
import { createDeps } from '../../src/bootstrap.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { createMemoryLogger } from '../../src/observability/logger.ts';
import { createToken } from '../../src/services/identity/tokens.ts';
import { SYSTEM_ACTOR, type Role } from '../../src/domain/roles.ts';
import type { Deps } from '../../src/deps.ts';
import { createTestDatabase } from './db.ts';

export interface TestApp {
  deps: Deps;
  server: RunningServer;
  url: string;
  clock: ManualClock;
  home: string;
  /** axios on /api/v1 that never throws on status (tests assert statuses) */
  http: AxiosInstance;
  as(token: string | undefined): AxiosInstance;
  tokenFor(role: Role, detectors?: string[], user?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestApp(opts: { env?: Record<string, string>; config?: Partial<AppConfig>; clock?: ManualClock } = {}): Promise<TestApp> {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-test-'));
  const config = { ...loadAppConfig({ CALIBLOOP_HOME: home, PORT: '0', CALIBLOOP_SCHEDULER: 'off', ...opts.env }), ...opts.config };
  const clock = opts.clock ?? new ManualClock();
  const db = await createTestDatabase();
  const deps = await createDeps(config, { db, clock, logger: createMemoryLogger() });
  const server = await startServer(deps, { port: 0, host: '127.0.0.1', scheduler: false });
  const as = (token: string | undefined) =>
    axios.create({
      baseURL: `${server.url}/api/v1`,
      validateStatus: () => true,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
    });
  let n = 0;
  return {
    deps,
    server,
    url: server.url,
    clock,
    home,
    http: as(undefined),
    as,
    async tokenFor(role, detectors = [], user) {
      const name = user ?? `${role.replace(/_/g, '-')}-${detectors.join('-') || 'x'}-${++n}`;
      const t = await createToken(deps.prisma, clock, SYSTEM_ACTOR, { user: name, role, detectors: detectors as never });
      return t.token;
    },
    async close() {
      await server.close();
      await db.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
