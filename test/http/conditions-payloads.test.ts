/**
 * Payloads over HTTP: streamed upload (raw or multipart), dedup by name and checksum, revisions per name, md5 checked,
 * size limit, download with checksum headers and 304 on If-None-Match; roles of DOMAIN §5; audit.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let manager: string;
const octet = { headers: { 'content-type': 'application/octet-stream' } };
before(async () => {
  app = await startTestApp({ config: { maxPayloadBytes: 64 * 1024 } });
  manager = await app.tokenFor('calibration_manager');
});
after(async () => app.close());

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

describe('payload upload', () => {
  it('when new bytes are uploaded, then revision 1 is created with md5, sha256 and size; identical bytes return it again', async () => {
    const body = Buffer.from('ECL crystal energies v1');
    const r = await app.as(manager).post('/payloads/ECLCrystalEnergy', body, { headers: { ...octet.headers, 'x-checksum-md5': md5(body) } });
    assert.equal(r.status, 201);
    assert.equal(r.data.revision, 1);
    assert.equal(r.data.md5, md5(body));
    assert.equal(r.data.sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(r.data.size, body.length);
    assert.equal(r.data.url, '/api/v1/payloads/ECLCrystalEnergy/1/file');
    const again = await app.as(manager).post('/payloads/ECLCrystalEnergy', body, octet);
    assert.equal(again.status, 200);
    assert.equal(again.data.revision, 1);
    assert.equal(again.data.created, false);
    const other = await app.as(manager).post('/payloads/ECLCrystalEnergy', Buffer.from('v2'), octet);
    assert.equal(other.data.revision, 2);
    const sameBytesOtherName = await app.as(manager).post('/payloads/ECLOther', body, octet);
    assert.equal(sameBytesOtherName.status, 201);
    assert.equal(sameBytesOtherName.data.revision, 1);
    assert.equal(await app.deps.prisma.auditEvent.count({ where: { action: 'payload.upload' } }), 3);
  });

  it('when the md5 the client sent does not match the bytes, then 400 and no payload is created', async () => {
    const r = await app.as(manager).post('/payloads/Corrupt', Buffer.from('abc'), { headers: { ...octet.headers, 'x-checksum-md5': md5('abd') } });
    assert.equal(r.status, 400);
    assert.match(r.data.error.message, /checksum mismatch/);
    assert.equal(await app.deps.prisma.payload.count({ where: { name: 'Corrupt' } }), 0);
    const b64 = await app.as(manager).post('/payloads/Corrupt', Buffer.from('abc'), { headers: { ...octet.headers, 'content-md5': Buffer.from(md5('abc'), 'hex').toString('base64') } });
    assert.equal(b64.status, 201);
  });

  it('when a multipart form is sent (curl -F), then its file is the payload', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('from a form')]), 'x.root');
    const r = await app.as(manager).post('/payloads/FormPayload', form);
    assert.equal(r.status, 201);
    assert.equal(r.data.md5, md5('from a form'));
  });

  it('when the body is JSON, empty, or larger than the limit, then it is refused and nothing is stored', async () => {
    const before = await app.deps.prisma.payload.count();
    assert.equal((await app.as(manager).post('/payloads/Bad', { a: 1 })).status, 400);
    assert.equal((await app.as(manager).post('/payloads/Bad', Buffer.alloc(0), octet)).status, 400);
    const big = await app.as(manager).post('/payloads/Big', Buffer.alloc(100 * 1024, 1), octet);
    assert.equal(big.status, 413);
    assert.equal((await app.as(manager).post('/payloads/bad name', Buffer.from('x'), octet)).status, 400);
    assert.equal(await app.deps.prisma.payload.count(), before);
  });

  it('when someone without the role uploads, then 401 without a token and 403 for experts, production managers and admin', async () => {
    assert.equal((await app.http.post('/payloads/X', Buffer.from('x'), octet)).status, 401);
    for (const role of ['detector_expert', 'data_production_manager'] as const) {
      const t = await app.tokenFor(role, role === 'detector_expert' ? ['ecl'] : []);
      assert.equal((await app.as(t).post('/payloads/X', Buffer.from('x'), octet)).status, 403, role);
    }
    const admin = await app.tokenFor('admin');
    assert.equal((await app.as(admin).post('/payloads/X', Buffer.from('x'), octet)).status, 403, 'admin manages users and tokens only');
  });
});

describe('payload download', () => {
  it('when a payload is downloaded anonymously, then the bytes come with checksum headers and are cacheable forever', async () => {
    const body = Buffer.from('download me');
    const up = await app.as(manager).post('/payloads/Down', body, octet);
    const r = await app.http.get(up.data.url.replace('/api/v1', ''), { responseType: 'arraybuffer' });
    assert.equal(r.status, 200);
    assert.deepEqual(Buffer.from(r.data), body);
    assert.equal(r.headers['x-checksum-md5'], md5(body));
    assert.equal(r.headers['content-md5'], Buffer.from(md5(body), 'hex').toString('base64'));
    assert.equal(r.headers['x-checksum-sha256'], up.data.sha256);
    assert.match(r.headers['digest'], /^sha-256=/);
    assert.equal(r.headers['etag'], `"${up.data.sha256}"`);
    assert.match(String(r.headers['cache-control']), /immutable/);
    assert.match(r.headers['content-disposition'], /dbstore_Down_rev_1\.root/);
    const cached = await app.http.get('/payloads/Down/1/file', { headers: { 'if-none-match': r.headers['etag'] } });
    assert.equal(cached.status, 304);
  });

  it('when metadata is asked, then one revision, all revisions and names are listed; unknown ones are 404', async () => {
    assert.equal((await app.http.get('/payloads/ECLCrystalEnergy/2')).data.revision, 2);
    assert.deepEqual((await app.http.get('/payloads/ECLCrystalEnergy')).data.map((p: { revision: number }) => p.revision), [1, 2]);
    const names = (await app.http.get('/payloads', { params: { prefix: 'ECL' } })).data;
    assert.deepEqual(names.map((n: { name: string }) => n.name), ['ECLCrystalEnergy', 'ECLOther']);
    assert.equal((await app.http.get('/payloads/Nope/1')).status, 404);
    assert.equal((await app.http.get('/payloads/Nope/1/file')).status, 404);
  });
});
