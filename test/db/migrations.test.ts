import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createTestDatabase } from '../helpers/db.ts';
import { readMigrationsList } from '../../src/db/migrations.ts';

test('when migrations are applied to an empty database, then every committed migration is recorded and a second run applies nothing', async () => {
  const db = await createTestDatabase(); // applies the migrations from empty (PGlite, or a fresh PostgreSQL database)
  try {
    const committed = readMigrationsList().migrationDirectories.map((d) => d.path);
    assert.ok(committed.length >= 1);
    const rows = await db.prisma.$queryRaw<{ migration_name: string; finished_at: Date | null }[]>`
      SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`;
    assert.deepEqual(rows.map((r) => r.migration_name), committed);
    assert.ok(rows.every((r) => r.finished_at !== null));
    const tables = await db.prisma.$queryRaw<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`;
    const names = new Set(tables.map((t) => t.table_name));
    for (const t of ['User', 'ApiToken', 'AuditEvent', 'GlobalTag', 'Iov', 'Payload', 'Run', 'Bucket', 'Job']) assert.ok(names.has(t), t);
    assert.deepEqual(await db.migrate(), []);
  } finally {
    await db.close();
  }
});

test('when the schema is compared with the committed migrations, then they agree (no forgotten migration)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-migration.ts', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
});
