/**
 * The notifier against a real local webhook receiver (HTTP server on port 0): delivered once per event key, and a
 * receiver answering 500 neither blocks the loop nor loses the notification (it is retried, then given up).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWebhookNotifier } from '../../src/clients/notifier.ts';
import { enqueueNotification, deliverNotifications, MAX_DELIVERY_ATTEMPTS } from '../../src/services/loop/notify.ts';

interface Receiver {
  url: string;
  bodies: unknown[];
  status: number;
  close(): Promise<void>;
}

async function startReceiver(status = 200): Promise<Receiver> {
  const r: Receiver = { url: '', bodies: [], status, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      r.bodies.push(JSON.parse(body));
      res.writeHead(r.status, { 'content-type': 'text/plain' });
      res.end(r.status === 200 ? 'ok' : 'boom');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/secret-token`;
  r.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return r;
}

let app: TestApp;
let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
  app = await startTestApp({ env: { CALIBLOOP_WEBHOOK_URL: receiver.url } });
});
after(async () => {
  await app.close();
  await receiver.close();
});

test('when a notification is queued twice under one key and delivered, then the webhook receives one message', async () => {
  const n = { key: 'window-opened:e12_bucket1', kind: 'window_opened' as const, message: 'Fix window of e12_bucket1 is open' };
  assert.equal(await enqueueNotification(app.deps.prisma, n), true);
  assert.equal(await enqueueNotification(app.deps.prisma, n), false);
  const r1 = await app.server.scheduler.runOnce('loop-notifications');
  assert.equal(r1.ran, true);
  assert.deepEqual(r1.result, { sent: 1, failed: 0, abandoned: 0 });
  const r2 = await deliverNotifications(app.deps);
  assert.deepEqual(r2, { sent: 0, failed: 0, abandoned: 0 });
  assert.equal(receiver.bodies.length, 1);
  const body = receiver.bodies[0] as { text: string; username: string; attachments: Array<{ title: string }> };
  assert.equal(body.text, 'Fix window of e12_bucket1 is open');
  assert.equal(body.username, 'calibloop');
  assert.equal(body.attachments[0].title, 'Fix window opened');
  const row = await app.deps.prisma.notification.findUniqueOrThrow({ where: { key: n.key } });
  assert.ok(row.sentAt);
  assert.equal(row.attempts, 1);
});

test('when the receiver answers 500, then delivery is recorded as failed, retried after backoff, then abandoned — and the tick itself succeeds', async () => {
  receiver.status = 500;
  receiver.bodies.length = 0;
  await enqueueNotification(app.deps.prisma, { key: 'blessed:e12_bucket9', kind: 'blessed', message: 'blessed' });
  const first = await app.server.scheduler.runOnce('loop-notifications');
  assert.equal(first.error, undefined, 'a failing webhook does not fail the tick');
  assert.deepEqual(first.result, { sent: 0, failed: 1, abandoned: 0 });
  let row = await app.deps.prisma.notification.findUniqueOrThrow({ where: { key: 'blessed:e12_bucket9' } });
  assert.equal(row.sentAt, null);
  assert.match(row.error ?? '', /HTTP 500/);
  assert.doesNotMatch(row.error ?? '', /secret-token/, 'the webhook secret is not written into errors');
  // not due yet: nothing is sent before the backoff
  assert.deepEqual(await deliverNotifications(app.deps), { sent: 0, failed: 0, abandoned: 0 });
  for (let i = 1; i < MAX_DELIVERY_ATTEMPTS; i++) {
    app.clock.advance(24 * 3600_000);
    await deliverNotifications(app.deps);
  }
  row = await app.deps.prisma.notification.findUniqueOrThrow({ where: { key: 'blessed:e12_bucket9' } });
  assert.ok(row.abandonedAt, 'given up after the bounded attempts');
  assert.equal(row.attempts, MAX_DELIVERY_ATTEMPTS);
  assert.equal(receiver.bodies.length, MAX_DELIVERY_ATTEMPTS);
  receiver.status = 200;
});

test('when the receiver is down, then the notifier rejects with a readable error naming no secret', async () => {
  const down = await startReceiver();
  await down.close();
  const notifier = createWebhookNotifier({ url: down.url, timeoutMs: 2000 });
  await assert.rejects(notifier.send({ key: 'k', kind: 'window_closed', text: 't' }), (e: Error) => /unreachable/.test(e.message) && !/secret-token/.test(e.message));
});

test('when notifications are listed over the API, then their delivery state shows', async () => {
  const token = await app.tokenFor('calibration_manager');
  const r = await app.as(token).get('/notifications');
  assert.equal(r.status, 200);
  const byKey = new Map(r.data.map((n: { key: string; delivery: string }) => [n.key, n.delivery]));
  assert.equal(byKey.get('window-opened:e12_bucket1'), 'sent');
  assert.equal(byKey.get('blessed:e12_bucket9'), 'abandoned');
});
