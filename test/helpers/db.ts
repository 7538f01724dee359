/**
 * A fresh, migrated database per test file: in-memory PGlite by default, or a new PostgreSQL database on the server
 * of DATABASE_URL (dropped again at close), so the same suite runs on both.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';

export const usingPostgres = Boolean(process.env.DATABASE_URL);

export async function createTestDatabase(): Promise<Database & { url?: string }> {
  if (!process.env.DATABASE_URL) return openDatabase({ migrate: true });
  const base = new URL(process.env.DATABASE_URL);
  // named after DATABASE_URL's database when that is a calibloop one (each developer's databases share a prefix)
  const owner = base.pathname.slice(1);
  const name = `${process.env.TEST_DB_PREFIX ?? (owner.startsWith('calibloop') ? owner + '_t' : 'calibloop_t')}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), migrate: true, poolSize: 10 });
  return {
    ...db,
    url: url.toString(),
    async close() {
      await db.close();
      const a = new pg.Client({ connectionString: base.toString() });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}
