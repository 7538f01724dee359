/**
 * Resolution over HTTP: chain order, higher revision inside a tag, INVALID refused, strong ETags and immutable caching
 * for PUBLISHED chains, revalidation (no-cache) for running chains, as-of reads, and the cache never serving a stale
 * answer after a change.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { conditions, MANAGER } from '../helpers/conditions-fixtures.ts';
import { runningUpdate } from '../../src/services/conditions/running-update.ts';
import { setTagState } from '../../src/services/conditions/set-tag-state.ts';

let app: TestApp;
let c: ReturnType<typeof conditions>;
before(async () => {
  app = await startTestApp();
  c = conditions(app.deps);
  await c.tag('fix', 'auxiliary', [['ECLGain', 7, 1, 10, 1, 20], ['CDCT0', 3, 1, 15, 1, 15]], 'PUBLISHED');
  await c.tag('base', 'release', [['ECLGain', 1, 0, 0, -1, -1], ['CDCT0', 1, 0, 0, 1, -1], ['CDCT0', 2, 2, 0, -1, -1], ['KLMAlign', 1, 0, 0, 0, -1]], 'PUBLISHED');
});
after(async () => app.close());

const get = (params: Record<string, unknown>, headers: Record<string, string> = {}) =>
  app.http.get('/resolve', { params, headers: { 'accept-encoding': 'identity', ...headers } });
const names = (d: { payloads: Array<{ name: string; revision: number; tag: string }> }) => d.payloads.map((p) => `${p.name} r${p.revision} ${p.tag}`);

describe('resolution over HTTP', () => {
  it('when a chain is resolved, then the first tag covering the run wins per name and others come from later tags', async () => {
    const r = await get({ tag: ['fix', 'base'], exp: 1, run: 15 });
    assert.equal(r.status, 200);
    assert.deepEqual(names(r.data), ['CDCT0 r3 fix', 'ECLGain r7 fix']);
    assert.deepEqual(names((await get({ tag: 'fix,base', exp: 1, run: 21 })).data), ['CDCT0 r1 base', 'ECLGain r1 base']);
    assert.deepEqual(names((await get({ tag: ['fix', 'base'], exp: 0, run: 3 })).data), ['CDCT0 r1 base', 'ECLGain r1 base', 'KLMAlign r1 base']);
    const p = r.data.payloads.find((x: { name: string }) => x.name === 'ECLGain');
    assert.equal(p.url, '/api/v1/payloads/ECLGain/7/file');
    assert.deepEqual(p.iov, [1, 10, 1, 20]);
    assert.match(p.checksum, /^[0-9a-f]{32}$/);
  });

  it('when the chain is PUBLISHED, then the answer is immutable with a strong ETag, shared by every run of the segment', async () => {
    const a = await get({ tag: ['fix', 'base'], exp: 1, run: 11 });
    const b = await get({ tag: ['fix', 'base'], exp: 1, run: 14 });
    assert.match(String(a.headers['cache-control']), /^public, max-age=\d+, immutable$/);
    assert.match(a.headers['etag'], /^"[^"]+"$/, 'strong ETag');
    assert.equal(a.headers['etag'], b.headers['etag']);
    assert.deepEqual(a.data.validFor, [1, 10, 1, 14]);
    assert.equal(a.data.immutable, true);
    const c15 = await get({ tag: ['fix', 'base'], exp: 1, run: 15 });
    assert.notEqual(c15.headers['etag'], a.headers['etag']);
    const notModified = await get({ tag: ['fix', 'base'], exp: 1, run: 12 }, { 'if-none-match': a.headers['etag'] });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers['etag'], a.headers['etag']);
  });

  it('when gzip is accepted, then the body is gzipped with its own strong ETag and either ETag revalidates', async () => {
    const plain = await get({ tag: ['fix', 'base'], exp: 1, run: 11 });
    const gz = await app.http.get('/resolve', { params: { tag: ['fix', 'base'], exp: 1, run: 11 }, headers: { 'accept-encoding': 'gzip' }, responseType: 'arraybuffer', decompress: false });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(JSON.parse(gunzipSync(Buffer.from(gz.data)).toString()), plain.data);
    assert.notEqual(gz.headers['etag'], plain.headers['etag']);
    assert.match(gz.headers['vary'], /Accept-Encoding/);
    const r = await get({ tag: ['fix', 'base'], exp: 1, run: 11 }, { 'if-none-match': gz.headers['etag'] });
    assert.equal(r.status, 304);
  });

  it('when a tag is INVALID, then it is refused; a PUBLISHED tag made INVALID is refused at once', async () => {
    assert.equal((await get({ tag: ['base'], exp: 1, run: 1 })).status, 200);
    await c.tag('dead', 'release', [['X', 1, 0, 0, -1, -1]], 'PUBLISHED');
    assert.equal((await get({ tag: ['dead'], exp: 0, run: 0 })).status, 200);
    await setTagState(app.deps, MANAGER, { name: 'dead', state: 'INVALID', reason: 'wrong alignment' });
    const r = await get({ tag: ['fix', 'dead'], exp: 0, run: 0 });
    assert.equal(r.status, 422);
    assert.match(r.data.error.message, /INVALID/);
    assert.equal((await get({ tag: ['nosuchtag'], exp: 0, run: 0 })).status, 404);
    assert.equal((await get({ tag: ['base'], exp: -1, run: 0 })).status, 400);
  });

  it('when a RUNNING tag is in the chain, then the answer must be revalidated and changes show up at once', async () => {
    await c.tag('live_running', 'running', [['ECLGain', 1, 0, 0, -1, -1]], 'RUNNING');
    await c.tag('live_staging', 'staging', [['ECLGain', 2, 0, 0, -1, -1]], 'VALIDATED');
    const before = await get({ tag: ['fix', 'live_running'], exp: 3, run: 1 });
    assert.equal(before.headers['cache-control'], 'no-cache');
    assert.equal(before.data.immutable, false);
    assert.deepEqual(names(before.data), ['ECLGain r1 live_running']);
    const t0 = app.clock.now();
    app.clock.advance(60_000);
    await runningUpdate(app.deps, MANAGER, { running: 'live_running', staging: 'live_staging', firstValid: { exp: 2, run: 0 } });
    const after = await get({ tag: ['fix', 'live_running'], exp: 3, run: 1 }, { 'if-none-match': before.headers['etag'] });
    assert.equal(after.status, 200, 'the old ETag no longer matches');
    assert.deepEqual(names(after.data), ['ECLGain r2 live_running']);
    const asOf = await get({ tag: ['fix', 'live_running'], exp: 3, run: 1, asOf: t0.toISOString() });
    assert.deepEqual(names(asOf.data), ['ECLGain r1 live_running']);
    assert.deepEqual(asOf.data.validFor, [3, 1, 3, 1]);
  });

  it('when the local-database plan of a PUBLISHED chain is asked, then it is immutable, revalidates with 304 and hides storage keys', async () => {
    const r = await app.http.get('/localdb', { params: { tag: 'fix,base', exp: 1, run: 15 } });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['cache-control']), /immutable/);
    assert.deepEqual(r.data.entries.map((e: { name: string; revision: number; file: string }) => `${e.file}`), ['dbstore_CDCT0_rev_3.root', 'dbstore_ECLGain_rev_7.root']);
    assert.equal(r.data.entries[0].storageKey, undefined);
    const again = await app.http.get('/localdb', { params: { tag: 'fix,base', exp: 1, run: 15 }, headers: { 'if-none-match': r.headers['etag'] } });
    assert.equal(again.status, 304);
  });

  it('when the same request is repeated, then it is served from memory without a database query for PUBLISHED chains', async () => {
    await get({ tag: ['fix', 'base'], exp: 5, run: 5 });
    const { conditionsCache } = await import('../../src/services/conditions/support/resolution-cache.ts');
    const cache = conditionsCache(app.deps);
    const hits = cache.hits;
    for (let k = 0; k < 20; k++) assert.equal((await get({ tag: ['fix', 'base'], exp: 5, run: 100 + k })).status, 200);
    assert.equal(cache.hits - hits, 20);
  });
});
