/**
 * Notifications as Mattermost/Slack receive them: real local HTTP listeners (port 0) stand in for two incoming
 * webhooks; the server routes each event kind to its channel or webhook, links into the dashboard, carries the facts
 * as attachment fields, summarises job failures per bucket, and says `logged` when no webhook is configured.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { enqueueNotification } from '../../src/services/loop/notify.ts';

interface Receiver {
  url: string;
  bodies: any[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const bodies: any[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      bodies.push({ contentType: req.headers['content-type'], ...JSON.parse(text) });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret`,
    bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let main: Receiver;
let production: Receiver;
let app: TestApp;
const PUBLIC = 'https://calibloop.example.org';

before(async () => {
  main = await startReceiver();
  production = await startReceiver();
  app = await startTestApp({
    env: { CALIBLOOP_WEBHOOK_URL: main.url, CALIBLOOP_PUBLIC_URL: PUBLIC, CALIBLOOP_NOTIFY_ROUTES: `window_closing_soon=calibration-alerts,job_failures=${production.url},*=calibloop` },
  });
});
after(async () => {
  await app.close();
  await main.close();
  await production.close();
});

async function bucketWithFailedJobs(name: string, failures: Array<{ step: string; errorClass: string }>) {
  const bucket = await app.deps.prisma.bucket.create({ data: { name, exp: 12, seq: Number(name.replace(/\D+/g, '').slice(-1)), firstRun: 1, lastRun: 10, stage: 'producing', openedAt: app.clock.now(), stageChangedAt: app.clock.now() } });
  let n = 0;
  for (const f of failures) {
    await app.deps.prisma.job.create({
      data: { bucketId: bucket.id, step: f.step, idempotencyKey: `${name}-${f.step}-${++n}`, state: 'failed', errorClass: f.errorClass, exp: 12, run: n, finishedAt: app.clock.now() },
    });
  }
}

test('when a window is closing soon, then the webhook gets Slack/Mattermost JSON routed to its channel with a dashboard link and fields', async () => {
  await enqueueNotification(app.deps.prisma, {
    key: 'window-closing-soon:e12_bucket1:x',
    kind: 'window_closing_soon',
    message: 'Fix window of e12_bucket1 closes in 4 h',
    payload: { bucket: 'e12_bucket1', deadline: '2026-03-01T12:00:00.000Z', closesIn: '4 h' },
  });
  const r = await app.server.scheduler.runOnce('loop-notifications');
  assert.deepEqual(r.result, { sent: 1, failed: 0, abandoned: 0 });
  assert.equal(main.bodies.length, 1);
  const body = main.bodies[0];
  assert.equal(body.contentType, 'application/json');
  assert.equal(body.channel, 'calibration-alerts');
  assert.equal(body.username, 'calibloop');
  const link = `${PUBLIC}/#/buckets/e12_bucket1`;
  assert.match(body.text, /closes in 4 h/);
  assert.ok(body.text.includes(`<${link}|`), 'the text links into the dashboard');
  const [a] = body.attachments;
  assert.equal(a.title, 'Fix window closing soon');
  assert.equal(a.title_link, link);
  assert.match(a.color, /^#[0-9a-f]{6}$/);
  assert.ok(a.fallback.length > 0);
  assert.deepEqual(
    a.fields.map((f: { title: string; value: string }) => [f.title, f.value]).sort(),
    [['bucket', 'e12_bucket1'], ['closesIn', '4 h'], ['deadline', '2026-03-01T12:00:00.000Z']],
  );
});

test('when many jobs of a bucket fail, then one summary per bucket goes to the production webhook, and not again until new failures', async () => {
  main.bodies.length = 0;
  await bucketWithFailedJobs('e12_bucket7', [
    { step: 'hlt_skim', errorClass: 'input_error' },
    { step: 'hlt_skim', errorClass: 'input_error' },
    { step: 'hlt_skim', errorClass: 'input_error' },
    { step: 'mdst', errorClass: 'conditions_error' },
  ]);
  await bucketWithFailedJobs('e12_bucket8', [{ step: 'mdst', errorClass: 'oom' }]);
  await app.server.scheduler.runOnce('loop-notifications');
  assert.equal(main.bodies.length, 0, 'job failures are routed to their own webhook');
  assert.equal(production.bodies.length, 2, 'one message per bucket, not one per job');
  const byBucket = new Map(production.bodies.map((b) => [b.attachments[0].fields.find((f: { title: string }) => f.title === 'bucket').value, b]));
  const seven = byBucket.get('e12_bucket7');
  assert.match(seven.text, /^4 job\(s\) of e12_bucket7 failed: hlt_skim ×3 \(input_error\), mdst ×1 \(conditions_error\)/);
  assert.equal(seven.attachments[0].title, 'Jobs failed');
  assert.equal(seven.attachments[0].title_link, `${PUBLIC}/#/buckets/e12_bucket7`);
  assert.match(byBucket.get('e12_bucket8').text, /^1 job\(s\) of e12_bucket8 failed: mdst ×1 \(oom\)/);
  await app.server.scheduler.runOnce('loop-notifications');
  assert.equal(production.bodies.length, 2, 'no new failures: no new summary');
});

test('when no webhook is configured, then notifications are listed as delivery: logged, never sent', async () => {
  const quiet = await startTestApp();
  try {
    await enqueueNotification(quiet.deps.prisma, { key: 'blessed:e12_bucket2', kind: 'blessed', message: 'e12_bucket2 blessed' });
    await quiet.server.scheduler.runOnce('loop-notifications');
    const token = await quiet.tokenFor('calibration_manager');
    const r = await quiet.as(token).get('/notifications');
    assert.equal(r.status, 200);
    assert.equal(r.data.find((n: { key: string }) => n.key === 'blessed:e12_bucket2').delivery, 'logged');
  } finally {
    await quiet.close();
  }
});
