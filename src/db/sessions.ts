/**
 * One database session (a single connection) for the work that must stay on one: the migrator's advisory lock and
 * transactions. PostgreSQL: a dedicated `pg.Client`; PGlite: the embedded database itself (it has one session).
 */
import pg from 'pg';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { MigrationSession, SqlRunner } from './migrations.ts';

export interface ClosableSession extends MigrationSession {
  close(): Promise<void>;
}

export async function openPgSession(url: string): Promise<ClosableSession> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // a broken connection must surface as a failed query, not as an unhandled 'error' event that kills the process
  client.on('error', () => {});
  // one statement at a time on the connection (several ticks may ask for their locks at once)
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = tail.then(f, f);
    tail = next.catch(() => {});
    return next;
  };
  const runner: SqlRunner = {
    query: <T>(sql: string, params?: unknown[]) => serial(async () => (await client.query(sql, params)).rows as T[]),
    exec: (sql: string) => serial(async () => void (await client.query(sql))),
  };
  return {
    ...runner,
    async transaction(fn) {
      await client.query('BEGIN');
      try {
        const out = await fn(runner);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      }
    },
    close: () => client.end().catch(() => {}),
  };
}

export function pgliteSession(db: PGlite): ClosableSession {
  const wrap = (q: PGlite | Transaction): SqlRunner => ({
    query: async <T>(sql: string, params?: unknown[]) => (await q.query<T>(sql, params)).rows,
    exec: async (sql: string) => void (await q.exec(sql)),
  });
  return {
    ...wrap(db),
    // PGlite's own transaction holds its exclusive lock, so no other caller's statement lands inside ours
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: async () => {},
  };
}
