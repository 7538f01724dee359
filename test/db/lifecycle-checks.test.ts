/**
 * Every state column's CHECK constraint and every lifecycle's transitions come from the one factory
 * (src/domain/lifecycle.ts): the constraints read back from the database list exactly each lifecycle's states, no state
 * column is left without one, and no transition table is declared anywhere but through defineLifecycle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '../helpers/db.ts';
import { STATE_COLUMNS, checkConstraintName } from '../../src/db/state-columns.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('when the database is migrated, then every state column has a CHECK listing exactly its lifecycle\'s states', async () => {
  const db = await createTestDatabase();
  try {
    const rows = await db.prisma.$queryRaw<{ table: string; name: string; def: string }[]>`
      SELECT c.conrelid::regclass::text AS "table", c.conname AS name, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype = 'c' AND n.nspname = 'public'`;
    for (const col of STATE_COLUMNS) {
      const row = rows.find((r) => r.name === checkConstraintName(col));
      assert.ok(row, `${col.table}.${col.column} has no CHECK constraint ${checkConstraintName(col)}`);
      assert.match(row.def, new RegExp(`\\b${col.column}\\b`), row.def);
      const values = [...row.def.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replaceAll("''", "'"));
      assert.deepEqual(values, [...col.lifecycle.list], `${col.table}.${col.column} CHECK differs from the ${col.lifecycle.name} lifecycle: run scripts/state-checks.ts`);
    }

    const columns = await db.prisma.$queryRaw<{ table_name: string; column_name: string }[]>`
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name IN ('state', 'stage')`;
    assert.ok(columns.length >= 9);
    for (const c of columns) {
      assert.ok(
        STATE_COLUMNS.some((s) => s.table === c.table_name && s.column === c.column_name),
        `${c.table_name}.${c.column_name} stores a state but no lifecycle is mapped to it in src/db/state-columns.ts`,
      );
    }

    // a state no lifecycle knows is refused by the database itself
    const insert = (stage: string) =>
      db.prisma.$executeRawUnsafe(
        `INSERT INTO "Bucket" (name, exp, seq, "firstRun", stage, "updatedAt") VALUES ('e1_bucket' || $1, 1, 1, 1, $1, now())`,
        stage,
      );
    await assert.rejects(insert('toString'), /Bucket_stage_lifecycle|check constraint/i);
    assert.equal(await insert('open'), 1);
  } finally {
    await db.close();
  }
});

test('when src/ is read, then every transition table is built by defineLifecycle and each lifecycle is stored in one column', () => {
  const files = sourceFiles('src');
  const defined: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/export const (\w+) = defineLifecycle\(/g)) defined.push(m[1]);
    // a hand-written table: a Record from a state type to lists of it, or the old *_TRANSITIONS names
    assert.doesNotMatch(text, /\b[A-Z_]*TRANSITIONS\b\s*[:=]/, `${f} declares a transition table outside defineLifecycle`);
    assert.doesNotMatch(text, /Record<\w+(State|Stage), readonly \w+(State|Stage)\[\]>/, `${f} declares a transition table outside defineLifecycle`);
  }
  assert.equal(defined.length, 9, `lifecycles: ${defined.join(', ')}`);
  const stored = new Set(STATE_COLUMNS.map((c) => c.lifecycle));
  assert.equal(stored.size, STATE_COLUMNS.length, 'each lifecycle is stored in exactly one column');
  assert.equal(stored.size, defined.length);
});
