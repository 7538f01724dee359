/**
 * /metrics after a scripted piece of the loop (prompt processing finishes → a fix window opens → an expert uploads a
 * fix; jobs in several states; conditions resolved twice; a broken run-list file; a failing webhook): every domain
 * gauge and counter shows the value the script implies. And every metric the shipped Grafana dashboard and alert rules
 * use is one this server exports.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { seedBucket } from '../helpers/loop-fixtures.ts';
import { openWindowWithPendingFix } from '../helpers/fix-window-fixture.ts';
import { ROOT_DIR } from '../../src/db/paths.ts';

let app: TestApp;
let text = '';
const H = 3600_000;

/** The value of one sample, e.g. sample('calibloop_jobs', { step: 'mdst', state: 'failed' }). */
function sample(name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

before(async () => {
  app = await startTestApp({ env: { CALIBLOOP_WEBHOOK_URL: 'http://127.0.0.1:9/hooks/down' } });
  const { prisma } = app.deps;
  // the loop: prompt processing of bucket 1 finished → its fix window opens (48 h); an ECL expert uploads a fix
  await openWindowWithPendingFix(app);
  await seedBucket(prisma, { seq: 2, firstRun: 5, lastRun: 8, stage: 'producing' });
  // production jobs of bucket 2 in several states
  const b2 = await prisma.bucket.findUniqueOrThrow({ where: { name: 'e12_bucket2' } });
  const jobs = [
    ['mdst', 'succeeded'],
    ['mdst', 'succeeded'],
    ['mdst', 'failed'],
    ['hlt_skim', 'running'],
  ];
  for (const [i, [step, state]] of jobs.entries()) await prisma.job.create({ data: { bucketId: b2.id, step, state, idempotencyKey: `m-${i}`, exp: 12, run: 5 + i } });
  // conditions read twice: one miss, one hit
  for (let i = 0; i < 2; i++) assert.equal((await app.http.get('/resolve', { params: { tag: 'data_prompt_running', exp: 12, run: 3 } })).status, 200);
  // a run-list file that is not JSON
  mkdirSync(join(app.home, 'runlists'), { recursive: true });
  writeFileSync(join(app.home, 'runlists', 'broken.json'), '{ not json');
  await app.server.scheduler.runOnce('run-sources');
  // the webhook is down: the window-opened and fix-uploaded notifications fail once each
  await app.server.scheduler.runOnce('loop-notifications');
  app.clock.advance(2 * H);
  text = (await app.as(undefined).get(`${app.url}/metrics`, { responseType: 'text' })).data;
});
after(async () => {
  await app.close();
});

test('when the loop has run, then jobs by step × state and buckets by stage are the database counts', () => {
  assert.equal(sample('calibloop_jobs', { step: 'mdst', state: 'succeeded' }), 2);
  assert.equal(sample('calibloop_jobs', { step: 'mdst', state: 'failed' }), 1);
  assert.equal(sample('calibloop_jobs', { step: 'hlt_skim', state: 'running' }), 1);
  assert.equal(sample('calibloop_buckets', { stage: 'fix_window' }), 1);
  assert.equal(sample('calibloop_buckets', { stage: 'producing' }), 1);
  assert.equal(sample('calibloop_buckets', { stage: 'prompt_processing' }), undefined, 'stages nobody is in are not reported');
});

test('when a fix is pending in an open window, then pending fixes and the seconds to the deadline show it', () => {
  assert.equal(sample('calibloop_pending', { what: 'fixes' }), 1);
  assert.equal(sample('calibloop_pending', { what: 'candidates' }), 0);
  assert.equal(sample('calibloop_pending', { what: 'requests' }), 0);
  assert.equal(sample('calibloop_fix_window_seconds_to_deadline', { bucket: 'e12_bucket1' }), 46 * 3600, '48 h window, 2 h later');
});

test('when ticks ran, conditions were resolved and things failed, then the counters say so', () => {
  assert.equal(sample('calibloop_resolution_cache_misses_total'), 1);
  assert.equal(sample('calibloop_resolution_cache_hits_total'), 1);
  assert.equal(sample('calibloop_run_source_poll_errors_total', { source: 'daq' }), 1);
  assert.equal(sample('calibloop_notification_delivery_failures_total', { kind: 'window_opened' }), 1);
  assert.equal(sample('calibloop_notification_delivery_failures_total', { kind: 'fix_uploaded' }), 1);
  assert.equal(sample('calibloop_schedule_runs_total', { schedule: 'loop-prompt', outcome: 'ok' }), 1);
  assert.equal(sample('calibloop_schedule_duration_seconds_count', { schedule: 'loop-prompt' }), 1);
  assert.equal(sample('calibloop_schedule_lag_seconds', { schedule: 'loop-prompt' }), 2 * 3600);
});

test('when the shipped Grafana dashboard and alert rules are read, then every calibloop metric they use is exported', () => {
  const dashboard = readFileSync(join(ROOT_DIR, 'docs', 'monitoring', 'grafana-dashboard.json'), 'utf8');
  const rules = parseYaml(readFileSync(join(ROOT_DIR, 'docs', 'monitoring', 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const exprs = [
    ...(JSON.parse(dashboard).panels as Array<{ targets?: Array<{ expr: string }> }>).flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
  ];
  assert.ok(exprs.length >= 10);
  const used = new Set(exprs.flatMap((e) => e.match(/calibloop_[a-z_]+/g) ?? []));
  const exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap((m) => (m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]])));
  const missing = [...used].filter((m) => !exported.has(m));
  assert.deepEqual(missing, []);
  for (const m of ['calibloop_jobs', 'calibloop_buckets', 'calibloop_pending', 'calibloop_fix_window_seconds_to_deadline', 'calibloop_notification_delivery_failures_total', 'calibloop_schedule_lag_seconds']) {
    assert.ok(used.has(m), `the dashboard or the alerts use ${m}`);
  }
});
