/**
 * Two real servers (`node bin/calibloop.js serve`) on one PostgreSQL database and one state directory run production
 * together (runs → auto-opened bucket → HLT skims and cDSTs on the local executor). One of them is killed -9 at a
 * random moment and not restarted; the other finishes alone. The result must equal a single-server control run of the
 * same input: bucket stages, jobs by step and state, outputs by step — and no program started twice (executor
 * submissions == distinct job keys). PostgreSQL only: PGlite belongs to one process.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, usingPostgres } from '../helpers/db.ts';
import { attemptDirs, serveProductionHome, spawnServe, startsIn, waitFor } from '../helpers/production-support.ts';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

interface Server {
  child: ChildProcess;
  lines: string[];
  id: string;
}

function startServer(env: Record<string, string>, id: string): Server {
  return { ...spawnServe({ ...env, CALIBLOOP_INSTANCE_ID: id }), id };
}

/** Log lines of work done (not start-up): which server did what share. */
const WORK = new Set(['job state', 'run list stored', 'bucket stage']);
const workLines = (s: Server) => s.lines.filter((l) => l.startsWith('{') && WORK.has(JSON.parse(l).message)).length;

interface Outcome {
  summary: { buckets: unknown[]; jobs: unknown[]; outputs: unknown[] };
  programStarts: number;
  distinctKeys: number;
  /** keys of jobs that were not cancelled: each of these ran its program */
  ranKeys: number;
  maxStartsInOneAttempt: number;
  durationMs: number;
  shares: Record<string, number>;
  killedAtMs?: number;
}

/** One production run from fresh input; `servers` processes; `killAfterMs`: SIGKILL the first one then. */
async function production(servers: number, killAfterMs?: (durationHint: number) => number, durationHint = 0): Promise<Outcome> {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-two-servers-'));
  const database = await createTestDatabase();
  const procs: Server[] = [];
  cleanups.push(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await database.close();
    rmSync(home, { recursive: true, force: true });
  });
  const { env } = serveProductionHome(home, database.url!);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  cleanups.push(() => client.end());
  const query = async <T>(sql: string) => (await client.query(sql)).rows as T[];

  const t0 = Date.now();
  for (let i = 0; i < servers; i++) procs.push(startServer(env, `server-${i}`));
  let killedAtMs: number | undefined;
  if (killAfterMs) {
    const delay = killAfterMs(durationHint);
    setTimeout(() => {
      killedAtMs = Date.now() - t0;
      procs[0].child.kill('SIGKILL');
    }, delay).unref();
  }
  await waitFor('the bucket to be final', async () => {
    const [b] = await query<{ stage: string }>(`SELECT stage FROM "Bucket" WHERE name = 'e12_bucket1'`);
    return b && !['open', 'closed', 'producing'].includes(b.stage);
  }, { timeoutMs: 300_000, intervalMs: 300 });
  const durationMs = Date.now() - t0;
  await waitFor('every job process to end', () => attemptDirs(home).every((d) => !existsSync(join(d, '.launched')) || existsSync(join(d, '.exit'))), { timeoutMs: 60_000 });
  const summary = {
    buckets: await query(`SELECT name, stage FROM "Bucket" ORDER BY name`),
    // a reader of the corrupt file either failed on it or was cancelled before it started (cancel-jobs-reading.ts):
    // which one depends on timing, so both count as one outcome here
    jobs: await query(`SELECT step, CASE WHEN state IN ('failed', 'cancelled') AND "errorClass" = 'input' THEN 'failed_or_cancelled_on_input' ELSE state END AS state, "errorClass", count(*)::int AS n FROM "Job" GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`),
    outputs: await query(`SELECT step, count(*)::int AS n FROM "OutputFile" GROUP BY step ORDER BY step`),
  };
  const [{ n: distinctKeys }] = await query<{ n: number }>(`SELECT count(DISTINCT "idempotencyKey")::int AS n FROM "Job"`);
  const [{ n: ranKeys }] = await query<{ n: number }>(`SELECT count(DISTINCT "idempotencyKey")::int AS n FROM "Job" WHERE state <> 'cancelled'`);
  const dirs = attemptDirs(home);
  const programStarts = dirs.reduce((s, d) => s + startsIn(d), 0);
  const maxStartsInOneAttempt = Math.max(0, ...dirs.map((d) => startsIn(d)));
  const shares = Object.fromEntries(procs.map((p) => [p.id, workLines(p)]));
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? new Promise((r) => p.child.once('exit', r)) : undefined)));
  return { summary, programStarts, distinctKeys, ranKeys, maxStartsInOneAttempt, durationMs, shares, killedAtMs };
}

test('when two servers share the work and one is killed -9 at a random moment, then the other finishes with the single-server result and no program ran twice', { skip: !usingPostgres && 'PostgreSQL only (PGlite has one process)', timeout: 15 * 60_000 }, async (t) => {
  const control = await production(1);
  // one program start per job key, except readers of a corrupt file cancelled before they started
  const oneStartPerKey = (o: Outcome, who: string) => {
    assert.ok(o.maxStartsInOneAttempt <= 1, `${who}: no attempt started its program twice`);
    assert.ok(o.programStarts >= o.ranKeys && o.programStarts <= o.distinctKeys, `${who}: ${o.programStarts} program starts for ${o.ranKeys} jobs that ran and ${o.distinctKeys} keys`);
  };
  oneStartPerKey(control, 'control');
  const two = await production(2, (hint) => 1_000 + Math.random() * Math.max(1_000, hint * 0.8), control.durationMs);
  t.diagnostic(`control ${control.durationMs} ms; two servers ${two.durationMs} ms, server-0 killed at ${two.killedAtMs} ms; work logged (job states, run lists, bucket stages): ${JSON.stringify(two.shares)}`);
  assert.ok(two.killedAtMs !== undefined && two.killedAtMs < two.durationMs, 'the kill happened before the end');
  assert.deepEqual(two.summary, control.summary);
  oneStartPerKey(two, 'two servers');
  assert.ok(two.shares['server-1'] > 0, 'the survivor did work');
});
