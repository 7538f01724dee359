/**
 * Fuzzing from the served OpenAPI document: every operation it lists gets seeded, bounded, generated requests (valid
 * by the document, or broken in one place: a wrong type, a control character, a bad percent-encoding, a junk
 * Content-Encoding, a wrong role, a token in the URL). Real server on port 0, PGlite or PostgreSQL (DATABASE_URL).
 *   - no answer is ≥ 500;
 *   - a refused request (4xx) changes no row count, except the audit of refused mutations, which is counted and must
 *     be exactly what the rate limit lets through;
 *   - every 2xx answered a request that is valid by the document (types, ranges, patterns, content type, role).
 * FUZZ_SEED and FUZZ_REQUESTS reproduce or widen a run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { encodeText, generate, makeJudge, operations, prng, typedLeaves, withLeaf, type Operation } from '../helpers/openapi-fuzz.ts';
import { ROLES } from '../../src/domain/roles.ts';
import { REFUSAL_ACTION } from '../../src/services/audit/record-refusal.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const PER_OPERATION = Number(process.env.FUZZ_PER_OPERATION ?? 8);
/** the refusal audit's rate limit (record-refusal.ts default); the test clock does not move, so one window */
const REFUSAL_LIMIT = 60;

let app: TestApp;
const tokens: Record<string, string> = {};
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

before(async () => {
  app = await startTestApp();
  // tokens 1…5 are there to be revoked by generated DELETE /tokens/{id} (ids 1–3 are in the dictionary); the callers'
  // own tokens come after, so the fuzzing keeps its callers
  for (let i = 0; i < 5; i++) await app.tokenFor('admin', [], `fuzz-victim-${i}`);
  for (const role of ROLES) tokens[role] = await app.tokenFor(role, role === 'detector_expert' ? ['ecl'] : [], `fuzz-${role.replace(/_/g, '-')}`);
  // a little state, so that a share of the requests gets past "not found"
  const cm = app.as(tokens.calibration_manager);
  assert.equal((await cm.post('/tags', { name: 'fuzz_tag', type: 'staging', reason: 'fuzz' })).status, 201);
  const up = await cm.post('/payloads/FuzzPayload', Buffer.from('payload bytes'), { headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(up.status, 201, JSON.stringify(up.data));
  const dp = app.as(tokens.data_production_manager);
  assert.equal((await dp.post('/buckets', { exp: 1, firstRun: 1 })).status, 201);
});
after(async () => {
  agent.destroy();
  await app.close();
});

/** Row counts of every table in one round trip; refusal audit events are counted apart. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = (await app.deps.prisma.$queryRawUnsafe<{ t: string }[]>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_prisma%' ORDER BY 1`,
  )).map((r) => r.t);
  const parts = tables.map((t) =>
    t === 'AuditEvent'
      ? `'AuditEvent', (SELECT count(*) FROM "AuditEvent" WHERE action <> '${REFUSAL_ACTION}'), 'refusals', (SELECT count(*) FROM "AuditEvent" WHERE action = '${REFUSAL_ACTION}')`
      : `'${t}', (SELECT count(*) FROM "${t}")`,
  );
  const rows = await app.deps.prisma.$queryRawUnsafe<{ c: Record<string, number> }[]>(`SELECT json_build_object(${parts.join(', ')}) AS c`);
  return rows[0].c;
}

function send(req: { method: string; url: string; query: [string, string][]; headers: Record<string, string>; body?: Buffer }): Promise<{ status: number; body: string }> {
  const qs = req.query.map(([k, v]) => `${encodeText(k)}=${encodeText(v)}`).join('&');
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: '127.0.0.1', port, method: req.method.toUpperCase(), path: req.url + (qs ? `?${qs}` : ''), headers: { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 400) }));
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

test('when every operation of the served OpenAPI document is fuzzed, then no 5xx, refusals change nothing, and every 2xx was a valid request', async () => {
  const doc = (await app.http.get('/openapi.json')).data;
  const ops: Operation[] = operations(doc);
  assert.ok(ops.length >= 50, `the document lists the operations (${ops.length})`);
  const judge = makeJudge();
  const rng = prng(SEED);
  const dict = { names: ['fuzz_tag', 'FuzzPayload', 'e1_bucket1', 'ecl', 'main'], ids: [1, 2, 3] };
  const failures: string[] = [];
  const perOperation = new Map<string, { sent: number; ok: number; refused: number }>();
  let refusedMutations = 0;
  let counts = await rowCounts();
  const started = Date.now();
  for (let round = 0; round < PER_OPERATION; round++) {
    for (const o of ops) {
      const key = `${o.method.toUpperCase()} ${o.path}`;
      const r = generate(o, rng, dict, { tokens }, round === 0 ? 0 : 0.5);
      const res = await send(r);
      const stat = perOperation.get(key) ?? { sent: 0, ok: 0, refused: 0 };
      stat.sent++;
      perOperation.set(key, stat);
      const where = `${key} seed=${SEED} round=${round}: ${r.method.toUpperCase()} ${r.url}?${r.query.map((q) => q.join('=')).join('&')} ${r.body ? r.body.toString('utf8').slice(0, 200) : ''} → ${res.status} ${res.body}`;
      if (res.status >= 500) failures.push(`5xx: ${where}`);
      if (res.status >= 400 && res.status < 500) {
        stat.refused++;
        if (o.method !== 'get' && (res.status === 401 || res.status === 403)) refusedMutations++;
      }
      // counts are read after each mutating request (reads in between would show up in its delta too)
      if (o.method !== 'get') {
        const after = await rowCounts();
        const changed = Object.keys(after).filter((t) => t !== 'refusals' && after[t] !== counts[t]);
        if (res.status >= 400 && changed.length) failures.push(`refused request changed ${changed.map((t) => `${t} ${counts[t]}→${after[t]}`).join(', ')}: ${where}`);
        counts = after;
      }
      if (res.status >= 200 && res.status < 300) {
        stat.ok++;
        const callerRole = r.caller in tokens && !r.query.some(([k]) => k === 'access_token') ? r.caller : undefined;
        const problems = judge(o, r, callerRole);
        if (problems.length) failures.push(`2xx for a request invalid by the document (${problems.join('; ')}): ${where}`);
      }
      if (failures.length > 25) break;
    }
    if (failures.length > 25) break;
  }
  counts = await rowCounts();
  const seconds = (Date.now() - started) / 1000;
  const sent = [...perOperation.values()].reduce((a, s) => a + s.sent, 0);
  const ok = [...perOperation.values()].reduce((a, s) => a + s.ok, 0);
  console.log(`fuzz: ${sent} requests over ${ops.length} operations in ${seconds.toFixed(1)} s (seed ${SEED}): ${ok} 2xx, refusals audited ${counts.refusals} of ${refusedMutations}`);
  assert.deepEqual(failures, [], failures.join('\n'));
  // nothing skipped: every operation the document lists was called every round
  for (const o of ops) assert.equal(perOperation.get(`${o.method.toUpperCase()} ${o.path}`)?.sent, PER_OPERATION, `${o.method} ${o.path} was fuzzed`);
  assert.equal(counts.refusals, Math.min(REFUSAL_LIMIT, refusedMutations), 'refused mutations are audited up to the rate limit, no more, no fewer');
  assert.ok(ok > 0, 'some generated requests were valid and served');
});

test('when any number or boolean of a valid body is sent as a string, an array or null, then the answer is never 2xx and nothing changes', async () => {
  const doc = (await app.http.get('/openapi.json')).data;
  const rng = prng(SEED + 1);
  const dict = { names: ['fuzz_tag', 'FuzzPayload', 'e1_bucket1', 'ecl'], ids: [1] };
  const failures: string[] = [];
  let swaps = 0;
  let before = await rowCounts();
  for (const o of operations(doc).filter((x) => x.op.requestBody?.content?.['application/json'])) {
    const base = generate(o, rng, dict, { tokens }, 0);
    if (!base.json || typeof base.json !== 'object') continue;
    const allowed = /Allowed: ([^.]+)\./.exec(o.op.description ?? '')?.[1]?.split(/,\s*/) ?? [];
    const role = allowed.find((r) => r in tokens);
    if (role) base.headers.authorization = `Bearer ${tokens[role]}`;
    for (const leaf of typedLeaves(base.json)) {
      const value = leaf.reduce<any>((v, k) => v[k], base.json);
      for (const swapped of [String(value), rng.chance(0.5) ? [value] : null]) {
        const json = withLeaf(base.json, leaf, swapped);
        const res = await send({ ...base, body: Buffer.from(JSON.stringify(json)) });
        swaps++;
        const after = await rowCounts();
        const changed = Object.keys(after).filter((t) => t !== 'refusals' && after[t] !== before[t]);
        before = after;
        if (res.status < 400 || res.status >= 500 || changed.length) failures.push(`${o.method.toUpperCase()} ${o.path} ${leaf.join('.')}=${JSON.stringify(swapped)} → ${res.status} ${changed.join(',')} ${res.body}`);
      }
    }
  }
  assert.ok(swaps > 50, `type swaps were sent (${swaps})`);
  assert.deepEqual(failures, [], failures.join('\n'));
});
