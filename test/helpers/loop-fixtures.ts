/**
 * Fixtures of the loop's tests (issue 6): a bucket at a given stage with its runs, apps on a database of the test's
 * choosing (to restart a server or to run two instances on one database), tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { loadAppConfig } from '../../src/config/app-config.ts';
import { createDeps } from '../../src/bootstrap.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { openDatabase, type Database, type Prisma } from '../../src/db/database.ts';
import type { ManualClock } from '../../src/domain/clock.ts';
import { createMemoryLogger } from '../../src/observability/logger.ts';
import { createToken } from '../../src/services/identity/tokens.ts';
import { SYSTEM_ACTOR, type Role } from '../../src/domain/roles.ts';
import type { Deps } from '../../src/deps.ts';
import { ensureTag } from '../../src/services/conditions/create-tag.ts';
import { createTestDatabase } from './db.ts';

export const GOOD = { svd: 'good', cdc: 'good', ecl: 'good', top: 'good', arich: 'good', klm: 'good' };

export async function seedBucket(
  prisma: Prisma,
  b: { exp?: number; seq?: number; firstRun: number; lastRun: number; stage: string; quality?: Record<number, Record<string, string>>; types?: Record<number, string> },
) {
  const exp = b.exp ?? 12;
  const seq = b.seq ?? 1;
  const bucket = await prisma.bucket.create({
    data: { name: `e${exp}_bucket${seq}`, exp, seq, firstRun: b.firstRun, lastRun: b.lastRun, stage: b.stage, closedAt: new Date('2026-10-30T00:00:00Z') },
  });
  for (let r = b.firstRun; r <= b.lastRun; r++) {
    await prisma.run.create({
      data: {
        exp,
        run: r,
        type: b.types?.[r] ?? 'physics',
        quality: b.quality?.[r] ?? GOOD,
        bucketId: bucket.id,
        eventsOffline: 6000n,
        files: { create: [0, 1].map((i) => ({ path: `/raw/e${exp}_r${r}_f${i}.b2raw`, status: 'transferred', size: 100n, events: 3000 })) },
      },
    });
  }
  return bucket;
}

/** The running tag must exist for prompt processing to advance its first condition-safe run. */
export async function ensureRunningTag(deps: Deps, name = 'data_prompt_running') {
  await ensureTag(deps, SYSTEM_ACTOR, { name, type: 'running', state: 'RUNNING', description: 'test running tag' });
}

export interface LoopApp {
  deps: Deps;
  server: RunningServer;
  as(token: string | undefined): AxiosInstance;
  tokenFor(role: Role, detectors?: string[], user?: string): Promise<string>;
  close(): Promise<void>;
}

/** A server instance on a database the test owns (closing the app leaves the database open). */
export async function startAppOn(db: Database, clock: ManualClock, env: Record<string, string> = {}): Promise<LoopApp> {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-loop-'));
  const config = loadAppConfig({ CALIBLOOP_HOME: home, PORT: '0', CALIBLOOP_SCHEDULER: 'off', ...env });
  const deps = await createDeps(config, { db, clock, logger: createMemoryLogger() });
  const server = await startServer(deps, { port: 0, host: '127.0.0.1', scheduler: false });
  const as = (token: string | undefined) =>
    axios.create({ baseURL: `${server.url}/api/v1`, validateStatus: () => true, headers: token ? { Authorization: `Bearer ${token}` } : {} });
  let n = 0;
  return {
    deps,
    server,
    as,
    async tokenFor(role, detectors = [], user) {
      const t = await createToken(deps.prisma, clock, SYSTEM_ACTOR, { user: user ?? `${role}-${++n}-${Math.random().toString(36).slice(2, 6)}`, role, detectors: detectors as never });
      return t.token;
    },
    async close() {
      await server.close();
      await deps.executor.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * A database that outlives a server instance: a PGlite data directory, or a fresh PostgreSQL database when
 * DATABASE_URL is set. `open()` gives a new connection (pool) each time, as a restarted process would have.
 */
export async function persistentDatabase(): Promise<{ open(): Promise<Database>; dispose(): Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const first = await createTestDatabase();
    const opened: Database[] = [];
    return {
      async open() {
        const db = await openDatabase({ url: first.url!, poolSize: 5 });
        opened.push(db);
        return db;
      },
      async dispose() {
        for (const d of opened) await d.close().catch(() => {});
        await first.close();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'calibloop-pgdata-'));
  return {
    open: () => openDatabase({ dataDir: dir, migrate: true }),
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running tag holding an ECL payload from run 1 on, and the bucket's snapshot of it (what prompt processing reads). */
export async function seedConditions(deps: Deps, bucket: string): Promise<void> {
  const { Readable } = await import('node:stream');
  const { uploadPayload } = await import('../../src/services/conditions/upload-payload.ts');
  const { addIov } = await import('../../src/services/conditions/add-iov.ts');
  const { setTagState } = await import('../../src/services/conditions/set-tag-state.ts');
  const { snapshotTag } = await import('../../src/services/conditions/snapshot-tag.ts');
  await ensureTag(deps, SYSTEM_ACTOR, { name: 'data_prompt_running', type: 'running' });
  const p = await uploadPayload(deps, SYSTEM_ACTOR, { name: 'ECLCrystalEnergyScale', source: Readable.from([Buffer.from('{"values":{"g0":1.0}}')]) });
  await addIov(deps, SYSTEM_ACTOR, { tag: 'data_prompt_running', payload: { name: p.name, revision: p.revision }, iov: { firstExp: 12, firstRun: 1, finalExp: -1, finalRun: -1 } });
  await setTagState(deps, SYSTEM_ACTOR, { name: 'data_prompt_running', state: 'RUNNING' });
  await snapshotTag(deps, SYSTEM_ACTOR, { source: 'data_prompt_running', bucket, reason: 'test snapshot' });
}
