import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pollRunSources } from '../../src/services/runs/poll-run-sources.ts';
import { importRuns } from '../../src/services/runs/import-runs.ts';
import { flagInputError } from '../../src/services/runs/flag-input-error.ts';
import { SYSTEM_ACTOR } from '../../src/domain/roles.ts';
import { generateRuns, productionEnv, type ProductionTestEnv } from '../helpers/production-support.ts';

let env: ProductionTestEnv;
let server: Server;
let answer: { status: number; body: string } = { status: 503, body: 'down' };
const seenQueries: string[] = [];
let url = '';

before(async () => {
  server = createServer((req, res) => {
    seenQueries.push(req.url ?? '');
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runs`;
  env = await productionEnv({ production: { run_sources: [{ name: 'daq', type: 'directory', path: 'runlists' }, { name: 'rundb', type: 'http', url, timeout_s: 5, overlap_s: 60 }] } });
});
after(async () => {
  await env.close();
  await new Promise<void>((r) => server.close(() => r()));
});

/** Everything the run registry holds, to compare before and after a rejected delivery. */
async function snapshot() {
  const runs = await env.deps.prisma.run.findMany({ orderBy: [{ exp: 'asc' }, { run: 'asc' }], select: { exp: true, run: true, type: true, luminosity: true, eventsOffline: true, quality: true, startTime: true, endTime: true } });
  const files = await env.deps.prisma.rawFile.findMany({ orderBy: { path: 'asc' }, select: { path: true, status: true, checksum: true, size: true, events: true } });
  return JSON.stringify({ runs, files }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
}

test('when the DAQ drops run-list files, then runs and files are stored once and a second poll changes nothing', async () => {
  generateRuns(env.home, { firstRun: 1, lastRun: 3 });
  const r1 = await pollRunSources(env.deps);
  assert.equal(r1.filter((r) => r.source === 'daq' && r.status === 'ok').length, 3);
  assert.equal(await env.deps.prisma.run.count(), 3);
  assert.equal(await env.deps.prisma.rawFile.count(), 6);
  const run = await env.deps.prisma.run.findUniqueOrThrow({ where: { exp_run: { exp: 12, run: 2 } }, include: { files: true } });
  assert.equal(run.source, 'daq');
  assert.equal(run.files[0].status, 'transferred');
  assert.match(run.files[0].checksum, /^sha256:/);
  const before = await snapshot();
  const r2 = await pollRunSources(env.deps);
  assert.equal(r2.filter((r) => r.source === 'daq').length, 0, 'unchanged files are not read again');
  assert.equal(await snapshot(), before);
});

test('when a run-list file is malformed, then it is recorded with what is wrong and nothing stored changes', async () => {
  const dir = join(env.home, 'runlists');
  const before = await snapshot();
  const good = JSON.parse(readFileSync(join(dir, readdirSync(dir).sort()[0]), 'utf8'));
  writeFileSync(join(dir, 'broken.json'), '{"runs": [ {"exp": 12,');
  const wrong = structuredClone(good);
  wrong.runs[0].luminosity = 5; // a change that must not land: the same list has an error elsewhere
  wrong.runs[0].files[0].status = 'teleported';
  wrong.runs.push({ ...structuredClone(good.runs[0]), run: 99, quality: { ecl: 'superb' } });
  writeFileSync(join(dir, 'wrong.json'), JSON.stringify(wrong));
  const stolen = structuredClone(good);
  stolen.runs[0].run = 77; // a new run claiming files of run 1
  writeFileSync(join(dir, 'stolen.json'), JSON.stringify(stolen));
  writeFileSync(join(dir, 'bad.yaml'), 'runs:\n  - exp: [unclosed\n');
  const results = await pollRunSources(env.deps);
  const byItem = new Map(results.map((r) => [r.item, r]));
  assert.match(byItem.get('broken.json')!.message!, /not valid JSON/);
  assert.match(byItem.get('bad.yaml')!.message!, /not valid YAML/);
  const paths = byItem.get('wrong.json')!.problems!.map((p) => p.path);
  assert.ok(paths.includes('runs.0.files.0.status') && paths.includes('runs.1.quality.ecl'), paths.join(' '));
  assert.match(byItem.get('stolen.json')!.message!, /belongs to another run/);
  assert.equal(await snapshot(), before);
  assert.equal(await env.deps.prisma.run.count({ where: { run: { in: [77, 99] } } }), 0);
  const recorded = await env.deps.prisma.runSourceItem.findMany({ where: { source: 'daq', status: 'error' } });
  assert.deepEqual(recorded.map((r) => r.item).sort(), ['bad.yaml', 'broken.json', 'stolen.json', 'wrong.json']);
  // a fixed file is read again and stored
  writeFileSync(join(dir, 'broken.json'), JSON.stringify({ runs: [{ ...good.runs[0], run: 50, files: [] }] }));
  const again = await pollRunSources(env.deps);
  assert.equal(again.find((r) => r.item === 'broken.json')!.status, 'ok');
  assert.equal(await env.deps.prisma.run.count({ where: { run: 50 } }), 1);
});

test('when the run database answers garbage, an error or an invalid list, then nothing changes and the cursor stays', async () => {
  const before = await snapshot();
  for (const a of [{ status: 200, body: '<html>oops</html>' }, { status: 500, body: '{}' }, { status: 200, body: '{"runs":[{"exp":"twelve"}]}' }, { status: 200, body: '[]' }]) {
    answer = a;
    const [r] = (await pollRunSources(env.deps)).filter((x) => x.source === 'rundb');
    assert.equal(r.status, 'error', a.body);
  }
  assert.equal(await snapshot(), before);
  const item = await env.deps.prisma.runSourceItem.findUniqueOrThrow({ where: { source_item: { source: 'rundb', item: 'poll' } } });
  assert.equal(item.status, 'error');
  assert.equal(item.cursor, null);
});

test('when the run database answers a valid list, then it is stored and the next poll asks for changes since then', async () => {
  answer = { status: 200, body: JSON.stringify({ runs: [{ exp: 12, run: 200, type: 'cosmic', luminosity: 0, files: [{ path: '/raw/e12_r200_f0.b2raw', status: 'registered' }] }] }) };
  seenQueries.length = 0;
  const [r] = (await pollRunSources(env.deps)).filter((x) => x.source === 'rundb');
  assert.equal(r.status, 'ok');
  assert.equal(seenQueries[0], '/runs');
  const run = await env.deps.prisma.run.findUniqueOrThrow({ where: { exp_run: { exp: 12, run: 200 } } });
  assert.equal(run.source, 'rundb');
  await pollRunSources(env.deps);
  assert.match(decodeURIComponent(seenQueries[1]), /updatedSince=2026-10-31T23:59:00/);
});

test('when a file flagged corrupt by a job is reported again with the same checksum, then it stays corrupt; a new checksum clears it', async () => {
  const f = await env.deps.prisma.rawFile.findFirstOrThrow({ where: { run: { run: 3 } }, include: { run: true } });
  await env.deps.prisma.$transaction((tx) => flagInputError(tx, { jobId: 1, step: 'hlt_skim', inputs: [f.path], message: `input error: ${f.path} is not a b2raw file`, at: env.clock.now() }));
  const list = { runs: [{ exp: 12, run: 3, type: 'physics', files: [{ path: f.path, status: 'transferred', size: Number(f.size), checksum: f.checksum, events: f.events }] }] };
  await importRuns(env.deps, SYSTEM_ACTOR, list);
  assert.equal((await env.deps.prisma.rawFile.findUniqueOrThrow({ where: { id: f.id } })).status, 'corrupt');
  assert.equal((await env.deps.prisma.run.findUniqueOrThrow({ where: { id: f.runId } })).flag, 'input_error');
  list.runs[0].files[0].checksum = 'sha256:' + 'b'.repeat(64);
  await importRuns(env.deps, SYSTEM_ACTOR, list);
  const after = await env.deps.prisma.rawFile.findUniqueOrThrow({ where: { id: f.id } });
  assert.equal(after.status, 'transferred');
  assert.equal(after.flaggedAt, null);
  assert.equal((await env.deps.prisma.run.findUniqueOrThrow({ where: { id: f.runId } })).flag, null);
});

test('when a manager imports an invalid list, then it is refused with field paths and nothing changes', async () => {
  const before = await snapshot();
  await assert.rejects(importRuns(env.deps, SYSTEM_ACTOR, { runs: [{ exp: 12, run: 1, type: 'physics', files: [{ path: 'x', status: 'ok' }] }] }), (e: any) => e.code === 'INVALID_INPUT' && e.details.some((d: any) => d.path === 'body.runs.0.files.0.path'));
  assert.equal(await snapshot(), before);
  mkdirSync(join(env.home, 'unused'), { recursive: true });
});
