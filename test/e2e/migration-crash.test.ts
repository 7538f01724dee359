/**
 * Migrations cannot brick a database: real processes running the start-up's migration path are killed -9 at random
 * moments, of a first start-up (empty database) and of an upgrade (two more migrations over a populated database);
 * after every kill the next start succeeds and finds each migration either wholly applied and recorded or not at all.
 * A migration with an SQL error is reported by name with the database's message and leaves the database as it was.
 * Runs on PGlite, or on PostgreSQL when DATABASE_URL is set. CRASH_TRIALS (default 20) kills per scenario.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { MIGRATIONS_DIR, readMigrationsList } from '../../src/db/migrations.ts';

const TRIALS = Number(process.env.CRASH_TRIALS ?? 20);
const baseUrl = process.env.DATABASE_URL;
const prefix = `${process.env.TEST_DB_PREFIX ?? 'calibloop_t'}_crash_${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'calibloop-crash-'));
const INIT = readMigrationsList().migrationDirectories.map((d) => d.path);
const POPULATED_ROWS = 20_000;

/** The committed migrations plus `extra` ones, in a folder of their own. */
function migrationsWith(name: string, extra: Record<string, string>): string {
  const dir = join(work, name);
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  for (const [m, sql] of Object.entries(extra)) {
    mkdirSync(join(dir, m), { recursive: true });
    writeFileSync(join(dir, m, 'migration.sql'), sql);
  }
  return dir;
}
const UPGRADE = {
  '99990101000000_fixture_note': `ALTER TABLE "AuditEvent" ADD COLUMN "fixtureNote" TEXT;
UPDATE "AuditEvent" SET "fixtureNote" = md5(id::text);
CREATE INDEX "AuditEvent_fixtureNote_idx" ON "AuditEvent"("fixtureNote");`,
  '99990102000000_fixture_table': `CREATE TABLE "FixtureUpgrade" (n INTEGER PRIMARY KEY, label TEXT NOT NULL);
INSERT INTO "FixtureUpgrade" SELECT g, md5(g::text) FROM generate_series(1, ${POPULATED_ROWS}) g;`,
};
const upgradeDir = migrationsWith('upgrade', UPGRADE);
const brokenDir = migrationsWith('broken', {
  '99990101000000_broken': `CREATE TABLE "FixtureHalf" (n INTEGER);
INSERT INTO "FixtureHalf" VALUES (1);
SELECT * FROM "no_such_table_in_fixture";`,
});

// ---- databases: a location string the child understands, made fresh or from a populated template ----
let admin: pg.Client | undefined;
let counter = 0;
before(async () => {
  if (baseUrl) {
    admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
  }
});
after(async () => {
  if (admin) {
    const left = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${prefix}%`]);
    for (const r of left.rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
    await admin.end();
  }
  rmSync(work, { recursive: true, force: true });
});

function urlOf(name: string): string {
  const u = new URL(baseUrl!);
  u.pathname = `/${name}`;
  return u.toString();
}
async function freshLocation(template?: string): Promise<string> {
  const name = `${prefix}_${++counter}`;
  if (admin) {
    await admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
    return urlOf(name);
  }
  const dir = join(work, name);
  if (template) cpSync(template, dir, { recursive: true });
  return dir;
}
async function dropLocation(location: string): Promise<void> {
  if (admin) await admin.query(`DROP DATABASE IF EXISTS "${new URL(location).pathname.slice(1)}" WITH (FORCE)`);
  else rmSync(location, { recursive: true, force: true });
}
function open(location: string, migrate = false, dir?: string): Promise<Database> {
  return openDatabase({ ...(admin ? { url: location, poolSize: 2 } : { dataDir: location }), migrate, migrateOptions: { dir } });
}

/** A populated database at the committed migrations: the template every upgrade trial starts from. */
async function populatedTemplate(): Promise<string> {
  const location = await freshLocation();
  const db = await open(location, true);
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "AuditEvent" (actor, role, action, "targetType", "targetId", summary)
     SELECT 'fixture', 'admin', 'fixture.row', 'fixture', g::text, 'row ' || g FROM generate_series(1, ${POPULATED_ROWS}) g`,
  );
  await db.close();
  return admin ? new URL(location).pathname.slice(1) : location;
}

// ---- the child: the start-up migration path in its own process ----
interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from "opening" to exit */
  window: number;
}
function runChild(location: string, dir: string, killAfterMs?: number): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/migrate-only.ts', location, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let openedAt = 0;
    child.stdout.on('data', (b) => {
      stdout += b;
      if (!openedAt && stdout.includes('opening')) {
        openedAt = Date.now();
        if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (b) => (stderr += b));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, window: openedAt ? Date.now() - openedAt : 0 }));
  });
}

// ---- what a database may look like after a kill, and after the next start ----
async function appliedMigrations(db: Database): Promise<string[]> {
  const exists = await db.prisma.$queryRawUnsafe<{ t: string | null }[]>(`SELECT to_regclass('"_prisma_migrations"')::text AS t`);
  if (!exists[0].t) return [];
  const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
    `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  return rows.map((r) => r.migration_name);
}
async function has(db: Database, relation: string): Promise<boolean> {
  const r = await db.prisma.$queryRawUnsafe<{ t: string | null }[]>(`SELECT to_regclass($1)::text AS t`, relation);
  return r[0].t !== null;
}
async function hasColumn(db: Database, table: string, column: string): Promise<boolean> {
  const r = await db.prisma.$queryRawUnsafe<unknown[]>(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2`, table, column);
  return r.length > 0;
}
/** Each migration's effects are present exactly when it is recorded: nothing half-applied. */
async function assertAllOrNothing(db: Database, trial: string): Promise<void> {
  const applied = new Set(await appliedMigrations(db));
  assert.equal(await has(db, '"Job"'), applied.has(INIT[0]), `${trial}: init tables iff init recorded`);
  if (applied.has(INIT[0])) {
    const [note, table] = Object.keys(UPGRADE);
    assert.equal(await hasColumn(db, 'AuditEvent', 'fixtureNote'), applied.has(note), `${trial}: ${note}`);
    assert.equal(await has(db, '"FixtureUpgrade"'), applied.has(table), `${trial}: ${table}`);
  }
}

async function crashTrials(scenario: string, makeLocation: () => Promise<string>, dir: string, expected: string[], check: (db: Database) => Promise<void>) {
  // one uninterrupted run measures the window in which the kills are spread
  const control = await makeLocation();
  const ran = await runChild(control, dir);
  assert.equal(ran.code, 0, ran.stderr);
  await dropLocation(control);
  const kills: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const location = await makeLocation();
    // stratified: one random moment in each of TRIALS equal slices of 1.1 × the window, so the spread covers the whole
    // window every run (a plain uniform draw lands too many kills past its end now and then)
    const killAt = Math.round(((i + Math.random()) / TRIALS) * ran.window * 1.1);
    const killed = await runChild(location, dir, killAt);
    kills.push(killAt);
    const trial = `${scenario} trial ${i} (kill at ${killAt} ms of ${ran.window} ms, ${killed.signal ?? `exit ${killed.code}`})`;
    assert.ok(killed.signal === 'SIGKILL' || killed.code === 0, `${trial}: ${killed.stderr}`);
    // the next start: the same openDatabase + migrate path; first look at what the kill left, then migrate
    const db = await open(location);
    try {
      await assertAllOrNothing(db, trial);
      await db.migrate({ dir });
      assert.deepEqual(await appliedMigrations(db), expected, trial);
      await check(db);
    } finally {
      await db.close();
    }
    await dropLocation(location);
  }
  const within = kills.filter((k) => k < ran.window).length;
  assert.ok(within >= TRIALS * 0.8, `most kills land inside the migration window (${within}/${TRIALS})`);
}

test(`when the first start-up is killed -9 at ${TRIALS} random moments, then every next start succeeds`, async () => {
  await crashTrials('first start-up', () => freshLocation(), MIGRATIONS_DIR, INIT, async (db) => {
    assert.equal(await has(db, '"Job"'), true);
  });
});

test(`when an upgrade of a populated database is killed -9 at ${TRIALS} random moments, then every next start finishes it and keeps the data`, async () => {
  const template = await populatedTemplate();
  try {
    await crashTrials('upgrade', () => freshLocation(template), upgradeDir, [...INIT, ...Object.keys(UPGRADE)].sort(), async (db) => {
      const [{ n }] = await db.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "fixtureNote" = md5(id::text)`);
      assert.equal(n, POPULATED_ROWS);
      const [{ m }] = await db.prisma.$queryRawUnsafe<{ m: number }[]>(`SELECT count(*)::int AS m FROM "FixtureUpgrade"`);
      assert.equal(m, POPULATED_ROWS);
    });
  } finally {
    await dropLocation(admin ? urlOf(template) : template);
  }
});

test('when a migration has an SQL error, then start-up names it with the database message, changes nothing, and a fixed migration applies', async () => {
  const template = await populatedTemplate();
  const location = await freshLocation(template);
  try {
    for (const attempt of [1, 2]) {
      const r = await runChild(location, brokenDir);
      assert.equal(r.code, 1, `attempt ${attempt} must fail`);
      assert.match(r.stderr, /migration 99990101000000_broken failed and was rolled back/);
      assert.match(r.stderr, /no_such_table_in_fixture/);
      assert.doesNotMatch(r.stderr, /failed migrations/);
    }
    const db = await open(location);
    try {
      assert.deepEqual(await appliedMigrations(db), INIT);
      assert.equal(await has(db, '"FixtureHalf"'), false, 'the statements before the error are rolled back too');
      const [{ n }] = await db.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "AuditEvent"`);
      assert.equal(n, POPULATED_ROWS);
    } finally {
      await db.close();
    }
    const fixed = await runChild(location, upgradeDir);
    assert.equal(fixed.code, 0, fixed.stderr);
  } finally {
    await dropLocation(location);
    await dropLocation(admin ? urlOf(template) : template);
  }
});

