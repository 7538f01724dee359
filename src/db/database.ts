/**
 * Opens calibloop's database: PostgreSQL when a URL is given (production), otherwise embedded PGlite in a data
 * directory (a newcomer needs nothing installed). Both speak the same SQL, so one Prisma schema and one set of
 * migrations serve both.
 *
 * PGlite belongs to one process. The server shares it on a Unix socket (`shareOnSocket`) so the CLI's few direct
 * database commands (token bootstrap, migrate) reach it while the server runs; when no server runs, they open the data
 * directory themselves.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.ts';
import { applyMigrations, type MigrateOptions } from './migrations.ts';
import { openPgSession, pgliteSession, type ClosableSession } from './sessions.ts';

export type Prisma = PrismaClient;
export type DatabaseKind = 'postgres' | 'pglite';

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /** Human-readable location (URL without password, or data directory). */
  location: string;
  /** Applies pending migrations (see migrations.ts); `opts.dir` for another migrations folder (tests). */
  migrate(opts?: MigrateOptions): Promise<string[]>;
  /** One connection of its own (advisory locks, the migrator's transactions); PGlite: its single session. */
  openSession(): Promise<ClosableSession>;
  /**
   * PostgreSQL only: one statement straight through the pool under Prisma, outside any transaction, answering the
   * affected row count. For bulk registration, where Prisma's parameter handling costs ~6x the bare driver's per
   * megabyte of batch document (bench/jobs.ts). PGlite has none: its one session is shared with Prisma's transactions.
   */
  executeBulk?(sql: string, params: unknown[]): Promise<number>;
  /** Expose an embedded database on a Unix socket for other processes (no-op for PostgreSQL). */
  shareOnSocket(dir: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL connection string; when absent, PGlite in `dataDir` (or in memory when dataDir is absent too). */
  url?: string;
  dataDir?: string;
  /** Apply committed migrations before returning. */
  migrate?: boolean;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** Options of the migration run when `migrate` is set. */
  migrateOptions?: MigrateOptions;
}

export const SOCKET_PORT = 5432;

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const db = opts.url ? openPostgres(opts.url, opts.poolSize ?? 10) : await openPglite(opts.dataDir);
  if (opts.migrate) {
    try {
      await db.migrate(opts.migrateOptions);
    } catch (e) {
      await db.close().catch(() => {});
      throw e;
    }
  }
  return db;
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function openPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection the server ends (restart, failover, pg_terminate_backend) is reported on the pool; unheard, it
  // would be an uncaught exception. The pool drops that client and the next query opens a new one.
  pool.on('error', () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    kind: 'postgres',
    location: redact(url),
    async executeBulk(sql, params) {
      return (await pool.query(sql, params)).rowCount ?? 0;
    },
    openSession: () => openPgSession(url),
    async migrate(options) {
      const session = await openPgSession(url);
      try {
        return await applyMigrations(session, options);
      } finally {
        await session.close();
      }
    },
    shareOnSocket: async () => {},
    async close() {
      await prisma.$disconnect();
      if (!pool.ended) await pool.end(); // a pool handed to the adapter stays ours to end
    },
  };
}

async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) await initialisePgliteDir(dataDir);
  const pglite = dataDir ? new PGlite(dataDir) : new PGlite();
  await pglite.waitReady;
  const factory = new PrismaPGlite(pglite);
  const prisma = new PrismaClient({ adapter: factory });
  let socketServer: PGLiteSocketServer | undefined;
  let socketPath: string | undefined;
  return {
    prisma,
    kind: 'pglite',
    location: dataDir ?? 'memory',
    openSession: async () => pgliteSession(pglite),
    migrate: (options) => applyMigrations(pgliteSession(pglite), options),
    async shareOnSocket(dir: string) {
      mkdirSync(dir, { recursive: true });
      socketPath = join(dir, `.s.PGSQL.${SOCKET_PORT}`);
      if (existsSync(socketPath)) rmSync(socketPath); // left over by a killed server; the data dir lock is ours now
      socketServer = new PGLiteSocketServer({ db: pglite, path: socketPath });
      await socketServer.start();
    },
    async close() {
      await prisma.$disconnect();
      if (socketServer) await socketServer.stop();
      if (socketPath && existsSync(socketPath)) rmSync(socketPath);
      await pglite.close();
    },
  };
}

/**
 * PGlite decides "database exists" by the presence of PG_VERSION, which its initdb writes before it has written the
 * rest: a process killed during the very first start would leave a directory that never opens again. So the first
 * initdb runs in a sibling directory that is renamed into place only when complete; anything in `dataDir` without
 * PG_VERSION is such an unfinished attempt and is replaced.
 */
async function initialisePgliteDir(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const parent = dirname(dataDir);
  const prefix = `${basename(dataDir)}.initdb-`;
  mkdirSync(parent, { recursive: true });
  for (const left of readdirSync(parent)) if (left.startsWith(prefix)) rmSync(join(parent, left), { recursive: true, force: true });
  const staging = join(parent, `${prefix}${process.pid}`);
  const fresh = new PGlite(staging);
  await fresh.waitReady;
  await fresh.close();
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(staging, dataDir);
}

/**
 * For CLI commands that need the database directly: PostgreSQL if a URL is set; else the running server's shared
 * socket if one answers; else the PGlite data directory itself.
 */
export async function openForCli(opts: { url?: string; dataDir: string; socketDir: string }): Promise<Database> {
  if (opts.url) return openDatabase({ url: opts.url, poolSize: 2 });
  const socketFile = join(opts.socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (existsSync(socketFile)) {
    const url = `postgresql://postgres@localhost:${SOCKET_PORT}/postgres?host=${encodeURIComponent(opts.socketDir)}`;
    const probe = new pg.Client({ host: opts.socketDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' });
    try {
      await probe.connect();
      await probe.end();
      const db = openPostgres(url, 1);
      return { ...db, kind: 'pglite', location: `${opts.dataDir} (via ${socketFile})` };
    } catch {
      // stale socket file of a server that is gone: fall through and open the directory
    }
  }
  return openDatabase({ dataDir: opts.dataDir });
}
