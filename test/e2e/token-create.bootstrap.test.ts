/**
 * `calibloop token create` never loses a token (finding 7 of issue 15), with real processes: a `serve` that is still
 * starting on the embedded database, and a `token create` run at the same moment on the same home. The token must work
 * against that server and its audit event must be there. Beside a server on PostgreSQL (when DATABASE_URL is set),
 * `token create` without DATABASE_URL refuses instead of writing into the embedded database; with it, it writes there
 * and says so.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { ROOT_DIR } from '../../src/db/paths.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { waitFor } from '../helpers/production-support.ts';

const homes: string[] = [];
const servers: ChildProcess[] = [];
after(async () => {
  for (const s of servers) {
    if (s.exitCode === null && s.signalCode === null) {
      s.kill('SIGTERM');
      await new Promise((r) => s.once('exit', r));
    }
  }
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function baseEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? home, CALIBLOOP_HOME: home, CALIBLOOP_SCHEDULER: 'off', LOG_LEVEL: 'info', ...extra };
}

function serve(env: Record<string, string>): { child: ChildProcess; port: () => number | undefined } {
  const child = spawn(process.execPath, [join(ROOT_DIR, 'bin', 'calibloop.js'), 'serve'], { env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let port: number | undefined;
  child.stdout!.on('data', (d: Buffer) => {
    const m = /"message":"server listening"[^\n]*"port":(\d+)|"port":(\d+)[^\n]*"message":"server listening"/.exec(d.toString());
    if (m) port = Number(m[1] ?? m[2]);
  });
  child.stderr!.resume();
  return { child, port: () => port };
}

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT_DIR, 'bin', 'calibloop.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('when token create runs while the server on the same home is still starting, then the token it prints works on that server and is audited', async () => {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-boot-'));
  homes.push(home);
  const env = baseEnv(home);
  const server = serve(env);
  // at once: whichever takes the home first, the other waits (the CLI writes and leaves, or waits for the socket)
  const created = await cli(['token', 'create', '--user', 'boot-admin', '--role', 'admin', '--json'], env);
  assert.equal(created.code, 0, created.stderr);
  const t = JSON.parse(created.stdout);
  assert.match(t.token, /^clb_/);
  assert.ok(t.database === join(home, 'db') || /\(via .*\.s\.PGSQL\.5432\)/.test(t.database), `it names the database it wrote to: ${t.database}`);
  // and once the server holds the home but is still starting: the CLI waits for its socket
  const restarted = await cli(['token', 'create', '--user', 'boot-second', '--role', 'admin', '--json'], env);
  assert.equal(restarted.code, 0, restarted.stderr);
  const port = await waitFor('the server to listen', () => server.port(), { timeoutMs: 120_000 });
  const who = await axios.get(`http://127.0.0.1:${port}/api/v1/whoami`, { headers: { Authorization: `Bearer ${t.token}` }, validateStatus: () => true });
  assert.equal(who.status, 200, JSON.stringify(who.data));
  assert.equal(who.data.user, 'boot-admin');
  const audit = await axios.get(`http://127.0.0.1:${port}/api/v1/audit`, { params: { action: 'token.create', targetId: 'boot-admin' }, headers: { Authorization: `Bearer ${t.token}` } });
  assert.equal(audit.data.length, 1);
  const second = JSON.parse(restarted.stdout);
  assert.equal((await axios.get(`http://127.0.0.1:${port}/api/v1/whoami`, { headers: { Authorization: `Bearer ${second.token}` }, validateStatus: () => true })).status, 200);
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  // with the server gone, the CLI opens the data directory itself and says so
  const offline = await cli(['token', 'create', '--user', 'later', '--role', 'admin', '--json'], env);
  assert.equal(offline.code, 0, offline.stderr);
  assert.equal(JSON.parse(offline.stdout).database, join(home, 'db'));
});

test('when a server on this home uses PostgreSQL, then token create without DATABASE_URL refuses, and with it writes there and says so', async (t) => {
  if (!process.env.DATABASE_URL) {
    t.skip('needs DATABASE_URL (a server on PostgreSQL); CI runs it');
    return;
  }
  const database = await createTestDatabase();
  const home = mkdtempSync(join(tmpdir(), 'calibloop-boot-pg-'));
  homes.push(home);
  try {
    const server = serve(baseEnv(home, { DATABASE_URL: database.url! }));
    await waitFor('the server to listen', () => server.port(), { timeoutMs: 120_000 });
    const refused = await cli(['token', 'create', '--user', 'lost', '--role', 'admin'], baseEnv(home));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /uses PostgreSQL .*set DATABASE_URL/);
    assert.equal(refused.stdout, '', 'no token printed');
    const written = await cli(['token', 'create', '--user', 'found', '--role', 'admin', '--json'], baseEnv(home, { DATABASE_URL: database.url! }));
    assert.equal(written.code, 0, written.stderr);
    const tok = JSON.parse(written.stdout);
    assert.match(tok.database, /^postgresql:\/\//);
    const who = await axios.get(`http://127.0.0.1:${server.port()}/api/v1/whoami`, { headers: { Authorization: `Bearer ${tok.token}` }, validateStatus: () => true });
    assert.equal(who.status, 200);
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  } finally {
    await database.close();
  }
});

test('when the server holds the home and is still starting, then token create waits for its socket and writes through it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'calibloop-boot-wait-'));
  homes.push(home);
  const env = baseEnv(home);
  const server = serve(env);
  await waitFor('the server to hold the home', () => existsSync(join(home, 'run', 'home.lock')) && JSON.parse(readFileSync(join(home, 'run', 'home.lock'), 'utf8')).holder === 'server', { timeoutMs: 60_000, intervalMs: 20 });
  const socketUpBefore = existsSync(join(home, 'run', '.s.PGSQL.5432'));
  const created = await cli(['token', 'create', '--user', 'waiter', '--role', 'admin', '--json'], env);
  assert.equal(created.code, 0, created.stderr);
  const t = JSON.parse(created.stdout);
  assert.match(t.database, /\(via .*\.s\.PGSQL\.5432\)/, `written through the server's socket (socket up before: ${socketUpBefore}): ${t.database}`);
  const port = await waitFor('the server to listen', () => server.port(), { timeoutMs: 120_000 });
  assert.equal((await axios.get(`http://127.0.0.1:${port}/api/v1/whoami`, { headers: { Authorization: `Bearer ${t.token}` }, validateStatus: () => true })).status, 200);
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
});
