/**
 * Applies the committed migrations in `prisma/migrations/` (Prisma's format: one folder per migration holding
 * `migration.sql`, plus `migration_lock.toml`), recording them in `_prisma_migrations` with Prisma's columns so that
 * Prisma's own tools read the same history. Safe to run at every start-up and from several instances at once.
 *
 * Why not Prisma's `applyMigrations`: it runs a migration outside a transaction and records a "started" row first, so a
 * process killed in between leaves a half-applied migration marked failed and every later start refuses to run
 * (a crash loop under `Restart=on-failure`). Here:
 * - one migrator at a time: a PostgreSQL session advisory lock, released by the server when the process dies;
 * - each migration and its bookkeeping row commit in one transaction (PostgreSQL DDL is transactional), so a kill
 *   leaves either nothing or everything of it, and the next start simply applies it again;
 * - a migration whose SQL fails is rolled back (the database stays as it was) and reported with its name and the
 *   database's message; nothing is recorded, so once the SQL is fixed the next start applies it.
 * Migrations must therefore be transactional (no `CREATE INDEX CONCURRENTLY`, no `VACUUM`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRISMA_DIR } from './paths.ts';

export const MIGRATIONS_DIR = join(PRISMA_DIR, 'migrations');
export const SCHEMA_PATH = join(PRISMA_DIR, 'schema.prisma');

/** Key of the advisory lock every migrator takes (any constant; "calibloop migrations" in ASCII-ish). */
export const MIGRATION_LOCK_KEY = 0x63616c6d;

/** Statements on one connection. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A script of several statements (no parameters), run as one message. */
  exec(sql: string): Promise<void>;
}

/** One database session: the lock and the transactions must all run on the same connection. */
export interface MigrationSession extends SqlRunner {
  /** Runs `fn` in one transaction on this session: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

export class MigrationFailedError extends Error {
  constructor(
    readonly migration: string,
    readonly databaseMessage: string,
  ) {
    super(
      `migration ${migration} failed and was rolled back; the database is unchanged by it. ` +
        `Fix prisma/migrations/${migration}/migration.sql (or the database) and start again. Database said: ${databaseMessage}`,
    );
    this.name = 'MigrationFailedError';
  }
}

export function readMigrationsList(dir = MIGRATIONS_DIR) {
  const lockPath = join(dir, 'migration_lock.toml');
  const folders = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    : [];
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: folders.map((name) => ({
      path: name,
      migrationFile: {
        path: 'migration.sql',
        content: { tag: 'ok' as const, value: readFileSync(join(dir, name, 'migration.sql'), 'utf8') },
      },
    })),
  };
}

// Prisma's own bookkeeping table, column for column.
const BOOKKEEPING_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface BookRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrateOptions {
  dir?: string;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** Applies every pending migration; returns the names applied, in order. */
export async function applyMigrations(session: MigrationSession, opts: MigrateOptions = {}): Promise<string[]> {
  const log = opts.log ?? (() => {});
  const migrations = readMigrationsList(opts.dir).migrationDirectories.map((d) => ({ name: d.path, sql: d.migrationFile.content.value }));
  await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await session.exec(BOOKKEEPING_DDL);
    const rows = await session.query<BookRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));
    // A row that never finished was left by Prisma's engine (which migrated outside a transaction) when a start-up was
    // killed; this migrator never leaves one. Retire it and apply the migration again, in one transaction.
    const interrupted = new Set(rows.filter((r) => r.finished_at === null).map((r) => r.migration_name));
    const applied: string[] = [];
    for (const m of migrations) {
      const checksum = sha256(m.sql);
      const prior = done.get(m.name);
      if (prior) {
        if (prior.checksum !== checksum) log('an applied migration was edited since; its new text is not applied', { migration: m.name });
        continue;
      }
      await applyOne(session, m, checksum, interrupted.has(m.name));
      if (interrupted.has(m.name)) log('retried a migration an earlier start-up did not finish', { migration: m.name });
      applied.push(m.name);
    }
    return applied;
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
  }
}

async function applyOne(session: MigrationSession, m: { name: string; sql: string }, checksum: string, retireInterrupted: boolean): Promise<void> {
  await session.transaction(async (tx) => {
    if (retireInterrupted) {
      await tx.query('UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL', [m.name]);
    }
    try {
      await tx.exec(m.sql);
    } catch (e) {
      throw new MigrationFailedError(m.name, describeDatabaseError(e));
    }
    await tx.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, now(), 1)`,
      [randomUUID(), checksum, m.name],
    );
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function describeDatabaseError(e: unknown): string {
  const err = e as { message?: string; code?: string; position?: string | number };
  const parts = [err.message ?? String(e)];
  if (err.code) parts.push(`(SQLSTATE ${err.code})`);
  return parts.join(' ');
}
