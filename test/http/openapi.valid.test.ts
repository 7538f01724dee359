/**
 * The served OpenAPI document passes a real validator (swagger-parser) and a real linter (Redocly's recommended
 * rules) with zero errors, and every operation carries what a client generator and a reader need.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { lintFromString, createConfig } from '@redocly/openapi-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let doc: any;
before(async () => {
  app = await startTestApp();
  doc = (await app.http.get('/openapi.json')).data;
});
after(async () => {
  await app.close();
});

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
  );

test('when the served document is validated by swagger-parser, then it is valid', async () => {
  await SwaggerParser.validate(structuredClone(doc));
});

test('when the served document is linted with Redocly recommended rules, then there are zero errors', async () => {
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config } as never);
  const errors = problems.filter((p: { severity: string }) => p.severity === 'error');
  assert.deepEqual(errors.map((p: any) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`), []);
});

test('when any operation is read, then it has an operationId, a summary, a 2xx schema, an example and the shared error for every 4xx', () => {
  const ids = new Set<string>();
  const missing: string[] = [];
  for (const { where, op } of operations()) {
    if (!op.operationId) missing.push(`${where}: operationId`);
    else if (ids.has(op.operationId)) missing.push(`${where}: duplicate operationId ${op.operationId}`);
    ids.add(op.operationId);
    if (!op.summary) missing.push(`${where}: summary`);
    const ok = Object.entries(op.responses).filter(([s]) => /^2/.test(s));
    if (ok.length === 0) missing.push(`${where}: 2xx response`);
    for (const [status, r] of ok as [string, any][]) {
      if (status === '204') continue;
      const media = Object.values(r.content ?? {}) as any[];
      if (media.length === 0 || !media[0].schema) missing.push(`${where}: ${status} schema`);
      if (media.length && media[0].example === undefined && media[0].examples === undefined) missing.push(`${where}: ${status} example`);
    }
    for (const [status, r] of Object.entries(op.responses) as [string, any][]) {
      if (!/^4/.test(status)) continue;
      const ref = r.$ref ?? r.content?.['application/json']?.schema?.$ref;
      if (!ref || !/Error/.test(ref)) missing.push(`${where}: ${status} not the shared error`);
    }
    for (const p of op.parameters ?? []) {
      if (p.in === 'path' && (p.required !== true || p.schema?.nullable)) missing.push(`${where}: path param ${p.name} optional or nullable`);
    }
  }
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} gaps`);
});

test('when the token schema is read, then the user pattern is a plain regular expression', () => {
  const pattern = doc.paths['/api/v1/tokens'].post.requestBody.content['application/json'].schema.properties.user.pattern;
  assert.match(pattern, /^\^.*\$$/, 'anchored, with no regex flags leaking into the pattern (it read ^…$/i)');
  assert.doesNotThrow(() => new RegExp(pattern));
  assert.ok(new RegExp(pattern).test('alice') && !new RegExp(pattern).test('bad name'));
});

test('when /api/docs is opened, then Swagger UI and its assets come from this server and point at the served document', async () => {
  const base = `${app.url}/api/docs/`;
  const page = await app.as(undefined).get(`${app.url}/api/docs`);
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  const assets = [...String(page.data).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.some((a) => a.endsWith('swagger-ui-bundle.js')));
  let documentUrl: string | undefined;
  for (const a of assets) {
    const r = await app.as(undefined).get(new URL(a, base).toString(), { responseType: 'text' });
    assert.equal(r.status, 200, a);
    if (a.endsWith('init.js')) documentUrl = /url: '([^']+)'/.exec(r.data)?.[1];
    else assert.ok(String(r.data).length > 10_000, a);
  }
  assert.ok(documentUrl, 'the initialiser names the document');
  const served = await app.as(undefined).get(new URL(documentUrl, base).toString());
  assert.equal(served.status, 200);
  assert.equal(served.data.openapi, doc.openapi);
});
