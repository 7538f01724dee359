/**
 * The documented response schemas describe what the server really answers: every GET endpoint with a JSON response
 * schema is called on a database with a bucket in its fix window (a fix uploaded), runs, jobs and a running tag, and
 * its body is parsed with the schema the OpenAPI document was generated from.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ZodType } from 'zod';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { openWindowWithPendingFix } from '../helpers/fix-window-fixture.ts';

let app: TestApp;
let manager: string;
let jobId = 0;

before(async () => {
  app = await startTestApp();
  const { prisma } = app.deps;
  await openWindowWithPendingFix(app);
  const b = await prisma.bucket.findUniqueOrThrow({ where: { name: 'e12_bucket1' } });
  jobId = (await prisma.job.create({ data: { bucketId: b.id, step: 'mdst', state: 'failed', errorClass: 'input', errorMessage: 'bad file', idempotencyKey: 'contract-1', exp: 12, run: 1, finishedAt: app.clock.now() } })).id;
  manager = await app.tokenFor('calibration_manager');
});
after(async () => {
  await app.close();
});

const PARAMS: Record<string, string> = { name: '', bucket: 'e12_bucket1', exp: '12', run: '1', revision: '1' };
const QUERY: Record<string, Record<string, string>> = {
  '/resolve': { tag: 'data_prompt_running', exp: '12', run: '1' },
  '/localdb': { tag: 'data_prompt_running' },
  '/diff': { a: 'data_prompt_running', asOfA: '2000-01-01T00:00:00Z' },
};

function concretePath(path: string): string {
  return path.replace(/:(\w+)/g, (_m, p: string) => {
    if (p === 'id') return path.startsWith('/jobs') ? String(jobId) : '1';
    if (p === 'name') return path.startsWith('/tags') ? 'data_prompt_running' : path.startsWith('/payloads') ? 'ECLCrystalEnergyScale' : 'e12_bucket1';
    return PARAMS[p];
  });
}

test('when every documented GET is called, then each 200 body parses with its documented response schema', async () => {
  const routes = (app.server.routes as Array<{ method: string; path: string; response?: ZodType }>).filter((r) => r.method === 'get' && r.response);
  const checked: string[] = [];
  const mismatches: string[] = [];
  for (const r of routes) {
    const url = concretePath(r.path);
    const res = await app.as(manager).get(url, { params: QUERY[r.path] });
    if (res.status !== 200) continue; // e.g. no reprocessing campaign exists yet: nothing to compare
    const parsed = r.response!.safeParse(res.data);
    checked.push(r.path);
    if (!parsed.success) mismatches.push(`GET ${r.path}: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  assert.deepEqual(mismatches, []);
  assert.ok(checked.length >= 25, `checked ${checked.length} endpoints: ${checked.join(', ')}`);
  for (const p of ['/resolve', '/runs', '/buckets', '/jobs', '/buckets/:name/completeness', '/jobs/:id']) assert.ok(checked.includes(p), `${p} was checked`);
});
