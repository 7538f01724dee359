/**
 * Every mutating endpoint × every role: no token → 401; a role the route does not allow → 403; an allowed role gets
 * past authorisation (whatever the empty request then earns: 400, 404, 409, …). Derived from the route catalog, so a
 * new endpoint is covered the day it is added.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ROLES, type Role } from '../../src/domain/roles.ts';
import { REFUSAL_ACTION } from '../../src/services/audit/record-refusal.ts';

let app: TestApp;
const tokens = new Map<Role, string>();
before(async () => {
  app = await startTestApp();
  for (const role of ROLES) tokens.set(role, await app.tokenFor(role, role === 'detector_expert' ? ['ecl'] : []));
});
after(async () => {
  await app.close();
});

function concrete(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => (/id$/i.test(name) ? '999999' : 'no-such-' + name));
}

test('when any mutating endpoint is called without a token, then 401, and with a disallowed role, then 403', async () => {
  const mutating = app.server.routes.filter((r) => r.method !== 'get');
  assert.ok(mutating.length >= 2, 'the catalog lists the mutating routes');
  const before = await app.deps.prisma.auditEvent.count();
  for (const route of mutating) {
    const url = concrete(route.path);
    const anon = await app.http.request({ method: route.method, url, data: {} });
    assert.equal(anon.status, 401, `${route.method.toUpperCase()} ${route.path} without token`);
    for (const role of ROLES) {
      const r = await app.as(tokens.get(role)).request({ method: route.method, url, data: {} });
      const allowed = route.auth === 'authenticated' || (Array.isArray(route.auth) && route.auth.includes(role));
      if (allowed) assert.ok(r.status !== 401 && r.status !== 403, `${route.method.toUpperCase()} ${route.path} as ${role} should pass auth, got ${r.status}`);
      else assert.equal(r.status, 403, `${route.method.toUpperCase()} ${route.path} as ${role}`);
      assert.ok(r.status < 500, `${route.method.toUpperCase()} ${route.path} as ${role} gave ${r.status}: ${JSON.stringify(r.data)}`);
    }
  }
  const refusals = await app.deps.prisma.auditEvent.count({ where: { action: REFUSAL_ACTION } });
  assert.equal(await app.deps.prisma.auditEvent.count(), before + refusals, 'refused and empty requests wrote no audit event but the refusal records');
  assert.ok(refusals >= 1 && refusals <= 60, `refusals are audited at a bounded rate (60 a minute): ${refusals}`);
  const recorded = await app.deps.prisma.auditEvent.findFirst({ where: { action: REFUSAL_ACTION, role: 'detector_expert' } });
  assert.ok(recorded, 'a refusal of a known token names its user and role');
  assert.match(recorded.summary, /^403 FORBIDDEN/);
});

test('when the catalog is read, then admin may only manage users and tokens, and every other mutation names a non-admin role', () => {
  const mutating = app.server.routes.filter((r) => r.method !== 'get');
  const adminRoutes = mutating.filter((r) => Array.isArray(r.auth) && r.auth.includes('admin')).map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(adminRoutes.sort(), ['delete /tokens/:id', 'post /tokens']);
  for (const r of mutating) {
    if (!adminRoutes.includes(`${r.method} ${r.path}`)) assert.ok(r.auth !== 'public', `${r.method} ${r.path} needs a token`);
  }
});
