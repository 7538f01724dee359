/**
 * The Belle II /v2 door, played from the clients' side: basf2's C++ metadata provider at job start and the Python
 * ConditionsDB class (tag list/show, IoV listing, download, upload of a testing-payloads directory), rebuilt request
 * for request in test/helpers/belle2-clients.ts and run over real HTTP. Every field those clients read is checked,
 * and the same tag answers the same payloads through /v2 and /api/v1/resolve.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { conditions, MANAGER } from '../helpers/conditions-fixtures.ts';
import { CppMetadataProvider, PythonConditionsDB, RequestError, exchange, joinWithSlash, payloadInformationUrl } from '../helpers/belle2-clients.ts';
import { runningUpdate } from '../../src/services/conditions/running-update.ts';

let app: TestApp;
let c: ReturnType<typeof conditions>;
let managerToken: string;
const logLines = () => (app.deps.logger as unknown as { lines: Array<Record<string, unknown>> }).lines;
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

before(async () => {
  app = await startTestApp();
  c = conditions(app.deps);
  managerToken = await app.tokenFor('calibration_manager', [], 'carla');
  await c.tag('v2_fix', 'auxiliary', [['ECLGain', 7, 1, 10, 1, 20], ['CDCT0', 3, 1, 15, 1, 15]], 'PUBLISHED');
  await c.tag('v2_base', 'release', [['ECLGain', 1, 0, 0, -1, -1], ['CDCT0', 1, 0, 0, 1, -1], ['CDCT0', 2, 2, 0, -1, -1], ['KLMAlign', 1, 0, 0, 0, -1]], 'PUBLISHED');
});
after(async () => app.close());

/** /api/v1/resolve of one tag, as comparable rows */
async function v1Rows(tag: string, exp: number, run: number): Promise<string[]> {
  const r = await app.http.get('/resolve', { params: { tag, exp, run } });
  assert.equal(r.status, 200);
  return r.data.payloads.map((p: { name: string; revision: number; checksum: string; iov: number[] }) => `${p.name} r${p.revision} ${p.checksum} ${p.iov.join(',')}`).sort();
}

describe('the C++ metadata provider at job start', () => {
  it('when a job starts on a tag list, then states, tag status and payloads parse as basf2 reads them, and match /api/v1/resolve', async () => {
    const cpp = new CppMetadataProvider(app.url);
    const states = await cpp.globalTagStates();
    assert.deepEqual(states.sort(), ['INVALID', 'OPEN', 'PUBLISHED', 'RUNNING', 'TESTING', 'VALIDATED']);
    assert.equal(await cpp.getGlobaltagStatus('v2_base'), 'PUBLISHED');
    const all = await cpp.jobStart(['v2_fix', 'v2_base'], 1, 15);
    assert.deepEqual(cpp.sent.slice(-5), [
      `GET ${app.url}/v2/globalTagStatus`,
      `GET ${app.url}/v2/globalTag/v2_fix`,
      `GET ${app.url}/v2/globalTag/v2_base`,
      `GET ${app.url}/v2/iovPayloads/?gtName=v2_fix&expNumber=1&runNumber=15`,
      `GET ${app.url}/v2/iovPayloads/?gtName=v2_base&expNumber=1&runNumber=15`,
    ]);
    for (const tag of ['v2_fix', 'v2_base']) {
      const v2 = all.filter((m) => m.globaltag === tag).map((m) => `${m.name} r${m.revision} ${m.checksum} ${m.iov.join(',')}`).sort();
      assert.deepEqual(v2, await v1Rows(tag, 1, 15), `${tag}: /v2 and /api/v1/resolve agree`);
    }
    const ecl = all.find((m) => m.globaltag === 'v2_fix' && m.name === 'ECLGain')!;
    assert.deepEqual(ecl.iov, [1, 10, 1, 20]);
    assert.equal(ecl.payloadUrl, 'dbstore/ECLGain/dbstore_ECLGain_rev_7.root');
    assert.equal(ecl.baseUrl, `${app.url}/v2/files`);
    // PayloadProvider: baseUrl joined with payloadUrl, md5 checked; the bytes are the ones /api/v1 serves
    for (const m of all) {
      const bytes = await cpp.fetchPayload(m);
      assert.equal(bytes.toString(), `${m.name}#${m.revision}`);
    }
    assert.equal(joinWithSlash(ecl.baseUrl, ecl.payloadUrl), `${app.url}/v2/files/dbstore/ECLGain/dbstore_ECLGain_rev_7.root`);
  });

  it('when the same run is asked through /v2 and /api/v1 at many runs, then both doors answer the same payloads', async () => {
    const cpp = new CppMetadataProvider(app.url);
    for (const [exp, run] of [[0, 0], [0, 99], [1, 9], [1, 10], [1, 20], [1, 21], [2, 0], [7, 123456]]) {
      for (const tag of ['v2_fix', 'v2_base']) {
        const v2 = (await cpp.updatePayloads(tag, exp, run)).map((m) => `${m.name} r${m.revision} ${m.checksum} ${m.iov.join(',')}`).sort();
        assert.deepEqual(v2, await v1Rows(tag, exp, run), `${tag} at ${exp},${run}`);
      }
    }
  });

  it('when a tag does not exist, then the provider gets an HTTP error it reports (FAILONERROR), never a 500', async () => {
    const cpp = new CppMetadataProvider(app.url);
    await assert.rejects(cpp.getGlobaltagStatus('no_such_tag'), /error: 404/);
    await assert.rejects(cpp.updatePayloads('no_such_tag', 1, 1), /error: 404/);
  });

  it('when answers are revalidated with If-None-Match, then 304; PUBLISHED answers are immutable and gzip when accepted', async () => {
    const url = `${app.url}/v2/iovPayloads/?gtName=v2_base&expNumber=1&runNumber=5`;
    const host: [string, string] = ['Host', new URL(app.url).host];
    const first = await exchange(url, 'GET', [host, ['Accept', 'application/json'], ['Accept-Encoding', 'gzip']]);
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-encoding'], 'gzip');
    assert.match(String(first.headers['cache-control']), /immutable/);
    const again = await exchange(url, 'GET', [host, ['Accept', 'application/json'], ['Accept-Encoding', 'gzip'], ['If-None-Match', String(first.headers.etag)]]);
    assert.equal(again.status, 304);
  });
});

describe('one hot path for both doors', () => {
  it('when a canonical request comes, then it is answered ahead of the router; any other spelling gets the same answer from Express', async () => {
    const host: [string, string] = ['Host', new URL(app.url).host];
    const hot = await exchange(`${app.url}/v2/iovPayloads/?gtName=v2_fix&expNumber=1&runNumber=12`, 'GET', [host]);
    const routed = await exchange(`${app.url}/v2/iovPayloads?gtName=v2_fix&expNumber=1&runNumber=12&extra=1`, 'GET', [host]);
    const served = (id: unknown) => logLines().find((l) => l.requestId === id && l.message === 'request')?.served;
    assert.equal(hot.status, 200);
    assert.equal(served(hot.headers['x-request-id']), 'hot-path');
    assert.equal(served(routed.headers['x-request-id']), undefined, 'answered by Express');
    assert.equal(hot.body.toString(), routed.body.toString());
    assert.equal(hot.headers.etag, routed.headers.etag);
    const v1hot = await exchange(`${app.url}/api/v1/resolve?tag=v2_fix,v2_base&exp=1&run=12`, 'GET', [host]);
    const v1routed = await exchange(`${app.url}/api/v1/resolve?tag=v2_fix&tag=v2_base&exp=1&run=12`, 'GET', [host]);
    assert.equal(served(v1hot.headers['x-request-id']), 'hot-path');
    assert.equal(served(v1routed.headers['x-request-id']), undefined);
    assert.equal(v1hot.body.toString(), v1routed.body.toString());
    const metrics = await exchange(`${app.url}/metrics`, 'GET', [host]);
    assert.match(metrics.body.toString(), /calibloop_http_requests_total\{method="GET",route="\/iovPayloads",status="200"\} \d+/);
  });
});

describe('the Python ConditionsDB class (b2conditionsdb)', () => {
  it('when it connects and lists tags, then HEAD works and every column of "tag list" and "tag show" is there', async () => {
    const db = await PythonConditionsDB.connect(app.url);
    assert.equal(db.sent[0].method, 'HEAD');
    const tags = await db.getGlobalTags();
    const base = tags['v2_base'];
    assert.ok(base, 'the tag is listed by name');
    // command_tag_list's table: id, name, description, type, status, # payloads
    assert.equal(typeof base.globalTagId, 'number');
    assert.equal(base.name, 'v2_base');
    assert.equal(typeof base.description, 'string');
    assert.equal((base.globalTagType as { name: string }).name, 'release');
    assert.equal((base.globalTagStatus as { name: string }).name, 'PUBLISHED');
    assert.equal(base.payloadCount, 4);
    // print_globaltag: dtmIns, dtmMod parsed as dates, modifiedBy
    const info = await db.getGlobalTagInfo('v2_base');
    assert.equal(info.globalTagId, base.globalTagId);
    assert.ok(!Number.isNaN(Date.parse(String(info.dtmIns))) && !Number.isNaN(Date.parse(String(info.dtmMod))));
    assert.equal(info.modifiedBy, 'carla');
    assert.equal(await db.hasGlobalTag('v2_base'), true);
    assert.equal(await db.hasGlobalTag('v2_nothere'), false);
    const last = db.sent.at(-1)!;
    assert.deepEqual(last.headers.find(([h]) => h === 'Accept'), ['Accept', 'application/json']);
    assert.deepEqual(last.headers.find(([h]) => h === 'Cache-Control'), ['Cache-Control', 'no-cache']);
  });

  it('when IoVs are listed for a run and for the whole tag, then PayloadInformation builds from every entry and matches /api/v1', async () => {
    const db = await PythonConditionsDB.connect(app.url);
    const atRun = await db.getAllIovs('v2_base', 1, 15);
    assert.equal(db.sent.at(-1)!.url, `${app.url}/v2/iovPayloads?gtName=v2_base&expNumber=1&runNumber=15`);
    assert.deepEqual(atRun.map((p) => `${p.name} r${p.revision} ${p.checksum} ${p.iov!.join(',')}`).sort(), await v1Rows('v2_base', 1, 15));
    for (const p of atRun) assert.ok(typeof p.payload_id === 'number' && typeof p.iov_id === 'number');
    const whole = await db.getAllIovs('v2_base');
    const v1 = await app.http.get('/tags/v2_base/iovs');
    assert.deepEqual(
      whole.map((p) => `${p.name} r${p.revision} ${p.iov!.join(',')} ${p.iov_id}`).sort(),
      v1.data.iovs.map((i: { name: string; revision: number; firstExp: number; firstRun: number; finalExp: number; finalRun: number; id: number }) => `${i.name} r${i.revision} ${i.firstExp},${i.firstRun},${i.finalExp},${i.finalRun} ${i.id}`).sort(),
    );
    // "iov --detail" reads provenance of both the IoV and the payload
    const raw = (await db.request('GET', '/iovPayloads', { params: [['gtName', 'v2_base'], ['expNumber', 1], ['runNumber', 15]] })).json as Array<Record<string, any>>;
    for (const item of raw) {
      for (const k of ['dtmIns', 'dtmMod', 'modifiedBy', 'payloadIovId', 'expStart', 'runStart', 'expEnd', 'runEnd']) assert.ok(k in item.payloadIov, k);
      for (const k of ['dtmIns', 'dtmMod', 'modifiedBy', 'payloadId', 'checksum', 'payloadUrl', 'baseUrl', 'revision']) assert.ok(k in item.payload, k);
      assert.ok(!Number.isNaN(Date.parse(item.payloadIov.dtmIns)) && !Number.isNaN(Date.parse(item.payload.dtmIns)));
    }
    const payloads = await db.getPayloads('v2_base');
    assert.equal(payloads.size, 4);
    // the file URL a PayloadInformation points at downloads the payload
    const r = await exchange(payloadInformationUrl(atRun[0]), 'GET', [['Host', new URL(app.url).host]]);
    assert.equal(md5(r.body), atRun[0].checksum);
  });

  it('when a tag is downloaded with --create-dbfile, then the files and database.txt are what basf2 reads locally', async () => {
    const db = await PythonConditionsDB.connect(app.url);
    const dest = mkdtempSync(join(tmpdir(), 'calibloop-v2-download-'));
    const { failed, files } = await db.download('v2_base', dest);
    assert.equal(failed, 0);
    assert.deepEqual(files.map((f) => f.slice(dest.length + 1)).sort(), ['dbstore_CDCT0_rev_1.root', 'dbstore_CDCT0_rev_2.root', 'dbstore_ECLGain_rev_1.root', 'dbstore_KLMAlign_rev_1.root']);
    assert.equal(readFileSync(join(dest, 'dbstore_CDCT0_rev_2.root'), 'utf8'), 'CDCT0#2');
    assert.equal(readFileSync(join(dest, 'database.txt'), 'utf8'), ['dbstore/CDCT0 1 0,0,1,-1', 'dbstore/CDCT0 2 2,0,-1,-1', 'dbstore/ECLGain 1 0,0,-1,-1', 'dbstore/KLMAlign 1 0,0,0,-1', ''].join('\n'));
  });

  it('when a testing-payloads directory is uploaded with a manager token, then payloads, IoVs, audit and history are those of /api/v1', async () => {
    const db = await PythonConditionsDB.connect(app.url);
    db.setAuthentication('carla', managerToken);
    assert.ok(await db.getGlobalTagType('DEV'), 'DEV is a known type');
    const before = (await app.deps.prisma.auditEvent.aggregate({ _max: { id: true } }))._max.id ?? 0n;
    const created = await db.createGlobalTag('v2_upload', 'uploaded by b2conditionsdb', 'carla');
    assert.equal((created.globalTagStatus as { name: string }).name, 'OPEN');
    assert.equal((created.globalTagType as { name: string }).name, 'staging');
    const dir = mkdtempSync(join(tmpdir(), 'calibloop-v2-upload-'));
    writeFileSync(join(dir, 'dbstore_SVDGain_rev_1.root'), 'svd gain one');
    writeFileSync(join(dir, 'dbstore_SVDGain_rev_2.root'), 'svd gain two');
    writeFileSync(join(dir, 'dbstore_ECLGain_rev_1.root'), 'ECLGain#1'); // the bytes of an existing payload
    writeFileSync(
      join(dir, 'database.txt'),
      ['# testing payloads', 'dbstore/SVDGain 1 0,0,0,-1', 'dbstore/SVDGain 2 1,0,1,99', 'dbstore/SVDGain 2 1,100,-1,-1', 'dbstore/ECLGain 1 0,0,-1,-1', ''].join('\n'),
    );
    const up = await db.upload(join(dir, 'database.txt'), 'v2_upload');
    assert.equal(up.ok, true);
    assert.deepEqual(up.entries.map((e) => `${e.module} r${e.revision} ${e.iov.join(',')}`), ['ECLGain r1 0,0,-1,-1', 'SVDGain r1 0,0,0,-1', 'SVDGain r2 1,0,1,99', 'SVDGain r2 1,100,-1,-1']);
    // the multipart/mixed upload as urllib3 frames it
    const post = db.sent.find((s) => s.url.endsWith('/v2/package/dbstore/module/SVDGain/payload'))!;
    assert.match(post.headers.find(([h]) => h === 'Content-Type')![1], /^multipart\/mixed; boundary=[0-9a-f]{32}$/);
    assert.ok(!db.sent.some((s) => s.url.endsWith('/v2/package/dbstore/module/ECLGain/payload')), 'existing bytes are found by checkPayloads, not uploaded again');
    assert.deepEqual(await c.live('v2_upload'), ['ECLGain r1 0,0,-1,-1', 'SVDGain r1 0,0,0,-1', 'SVDGain r2 1,0,1,99', 'SVDGain r2 1,100,-1,-1']);
    const audits = await app.deps.prisma.auditEvent.findMany({ where: { id: { gt: before } }, orderBy: { id: 'asc' } });
    assert.deepEqual(audits.map((a) => `${a.actor} ${a.action}`), ['carla tag.create', 'carla payload.upload', 'carla payload.upload', 'carla iov.add', 'carla iov.add', 'carla iov.add', 'carla iov.add']);
    const history = await app.http.get('/tags/v2_upload/history');
    assert.equal(history.status, 200);
    assert.equal(JSON.stringify(history.data).match(/iov\.insert/g)?.length, 4);
    // uploading the same directory again finds everything and creates nothing
    const everything = await c.everything();
    const again = await db.upload(join(dir, 'database.txt'), 'v2_upload');
    assert.equal(again.ok, true);
    assert.equal(await c.everything(), everything);
  });

  it('when the upload is refused (no token, wrong role, RUNNING tag, overlap, corrupted bytes), then the client reads {code, reason, message} and nothing changed', async () => {
    await c.tag('v2_running', 'running', [['ECLGain', 1, 0, 0, -1, -1]], 'RUNNING');
    const anonymous = await PythonConditionsDB.connect(app.url);
    anonymous.setAuthentication('commonDBUser', 'not-a-calibloop-token'); // b2conditionsdb's default credentials
    const expert = await PythonConditionsDB.connect(app.url);
    expert.setAuthentication('eve', await app.tokenFor('detector_expert', ['ecl']));
    const manager = await PythonConditionsDB.connect(app.url);
    manager.setAuthentication('carla', managerToken);
    const running = (await manager.getGlobalTagInfo('v2_running')).globalTagId as number;
    const upload = (await manager.getGlobalTagInfo('v2_upload')).globalTagId as number;
    const svd = (await manager.checkPayloads([['SVDGain', md5('svd gain two')]])).get(`SVDGain|${md5('svd gain two')}`) as number;
    const everything = await c.everything();
    await assert.rejects(anonymous.createIov(upload, svd, 5, 0, 5, 10), (e: Error) => e instanceof RequestError && /returned 401 Unauthorized: /.test(e.message));
    await assert.rejects(expert.createIov(upload, svd, 5, 0, 5, 10), (e: Error) => e instanceof RequestError && /returned 403 Forbidden: role detector_expert/.test(e.message));
    await assert.rejects(manager.createIov(running, svd, 5, 0, 5, 10), (e: Error) => /returned 422 Unprocessable Entity: .*RUNNING tag only grows by running update/.test(e.message));
    await assert.rejects(manager.createIov(upload, svd, 1, 50, 1, 60), (e: Error) => /returned 422 Unprocessable Entity: 1 overlap/.test(e.message));
    await assert.rejects(manager.createIov(upload, 999999, 5, 0, 5, 10), (e: Error) => /returned 404 Not Found: payload with id 999999/.test(e.message));
    await assert.rejects(manager.createIov(upload, svd, 5, 10, 5, 0), (e: Error) => /returned 400 Bad Request: /.test(e.message));
    const dir = mkdtempSync(join(tmpdir(), 'calibloop-v2-bad-'));
    writeFileSync(join(dir, 'x.root'), 'new bytes');
    await assert.rejects(manager.createPayload('SVDGain', join(dir, 'x.root'), md5('other bytes')), (e: Error) => /returned 400 Bad Request: checksum mismatch/.test(e.message));
    await assert.rejects(anonymous.createPayload('SVDGain', join(dir, 'x.root')), (e: Error) => /returned 401/.test(e.message));
    await assert.rejects(anonymous.createGlobalTag('v2_nope', '', 'x'), (e: Error) => /returned 401/.test(e.message));
    await assert.rejects(manager.createGlobalTag('v2_upload', '', 'x'), (e: Error) => /returned 409 Conflict: global tag v2_upload already exists/.test(e.message));
    assert.equal(await c.everything(), everything);
  });
});

describe('bad input on /v2', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['unknown tag', '/v2/iovPayloads/?gtName=nosuch&expNumber=1&runNumber=1', 404, /global tag nosuch/],
    ['non-integer run', '/v2/iovPayloads/?gtName=v2_base&expNumber=1&runNumber=1.5', 400, /query\.runNumber/],
    ['run with letters', '/v2/iovPayloads/?gtName=v2_base&expNumber=1&runNumber=abc', 400, /query\.runNumber/],
    ['exponent', '/v2/iovPayloads/?gtName=v2_base&expNumber=1e3&runNumber=1', 400, /query\.expNumber/],
    ['negative experiment', '/v2/iovPayloads/?gtName=v2_base&expNumber=-1&runNumber=1', 400, /query\.expNumber/],
    ['negative run', '/v2/iovPayloads/?gtName=v2_base&expNumber=1&runNumber=-5', 400, /query\.runNumber/],
    ['huge run', '/v2/iovPayloads/?gtName=v2_base&expNumber=1&runNumber=99999999999999999999', 400, /query\.runNumber/],
    ['run beyond the range', '/v2/iovPayloads/?gtName=v2_base&expNumber=1&runNumber=2147483648', 400, /query\.runNumber/],
    ['missing run', '/v2/iovPayloads/?gtName=v2_base&expNumber=1', 400, /query\.runNumber: required/],
    ['missing everything', '/v2/iovPayloads/', 400, /query\.gtName/],
    ['repeated parameter', '/v2/iovPayloads/?gtName=v2_base&expNumber=1&runNumber=1&runNumber=2', 400, /query\.runNumber/],
    ['empty tag', '/v2/iovPayloads/?gtName=&expNumber=1&runNumber=1', 400, /query\.gtName/],
    ['bad tag name', '/v2/iovPayloads/?gtName=a%20b&expNumber=1&runNumber=1', 400, /query\.gtName/],
    ['malformed escape', '/v2/iovPayloads/?gtName=%ZZ&expNumber=1&runNumber=1', 400, /./],
    ['unknown tag detail', '/v2/globalTag/nosuch', 404, /global tag nosuch/],
    ['unknown tag content', '/v2/globalTag/nosuch/globalTagPayloads', 404, /global tag nosuch/],
    ['bad tag name in path', '/v2/globalTag/a%20b', 400, /params\.name/],
    ['unknown endpoint', '/v2/nothing', 404, /no endpoint/],
    ['file of another payload', '/v2/files/dbstore/ECLGain/dbstore_CDCT0_rev_1.root', 400, /params\.file/],
    ['file of a missing revision', '/v2/files/dbstore/ECLGain/dbstore_ECLGain_rev_99.root', 404, /ECLGain revision 99/],
  ];
  for (const [what, path, status, message] of cases) {
    it(`when ${what}, then ${status} in the {code, reason, message} shape`, async () => {
      const r = await exchange(app.url + path, 'GET', [['Host', new URL(app.url).host], ['Accept', 'application/json']]);
      assert.equal(r.status, status, r.body.toString());
      const body = JSON.parse(r.body.toString());
      assert.equal(body.code, status);
      assert.equal(typeof body.reason, 'string');
      assert.match(body.message, message);
    });
  }

  it('when the client only accepts XML, then 406 (JSON is all this server speaks), and files ignore Accept', async () => {
    const r = await exchange(`${app.url}/v2/globalTagStatus`, 'GET', [['Host', new URL(app.url).host], ['Accept', 'application/xml']]);
    assert.equal(r.status, 406);
    assert.equal(JSON.parse(r.body.toString()).reason, 'Not Acceptable');
    const f = await exchange(`${app.url}/v2/files/dbstore/ECLGain/dbstore_ECLGain_rev_1.root`, 'GET', [['Host', new URL(app.url).host], ['Accept', 'application/xml']]);
    assert.equal(f.status, 200);
  });

  it('when bodies are malformed, then 400 and nothing changed', async () => {
    const everything = await c.everything();
    const host = new URL(app.url).host;
    const auth: [string, string] = ['Authorization', `Bearer ${managerToken}`];
    const post = (path: string, body: string, type: string) => exchange(app.url + path, 'POST', [['Host', host], auth, ['Content-Type', type], ['Content-Length', String(Buffer.byteLength(body))]], Buffer.from(body));
    for (const [path, body, type] of [
      ['/v2/checkPayloads', '{"not": "a list"}', 'application/json'],
      ['/v2/checkPayloads', '[{"name": "X", "checksum": "short"}]', 'application/json'],
      ['/v2/checkPayloads', '[{', 'application/json'],
      ['/v2/globalTag/DEV', '{"name": "v2_x", "unexpected": 1}', 'application/json'],
      ['/v2/globalTag/NOTATYPE', '{"name": "v2_x"}', 'application/json'],
      ['/v2/package/dbstore/module/SVDGain/payload', 'just bytes', 'application/octet-stream'],
      ['/v2/package/dbstore/module/SVDGain/payload', '--b\r\nContent-Type: application/x-root\r\n\r\nxx\r\n--b--\r\n', 'multipart/mixed; boundary=b'],
      ['/v2/globalTagPayload/1,x/payloadIov/0,0,-1,-1', '', 'application/json'],
      ['/v2/globalTagPayload/1,1/payloadIov/0,0,-1', '', 'application/json'],
    ]) {
      const r = await post(path, body, type);
      assert.equal(r.status, 400, `${path} ${body}: ${r.body}`);
      assert.equal(JSON.parse(r.body.toString()).code, 400);
    }
    assert.equal(await c.everything(), everything);
  });
});

describe('freshness', () => {
  it('when another instance invalidates a PUBLISHED tag, then a request with Cache-Control: no-cache sees it at once', async () => {
    await c.tag('v2_elsewhere', 'release', [['X', 1, 0, 0, -1, -1]], 'PUBLISHED');
    const url = `${app.url}/v2/iovPayloads/?gtName=v2_elsewhere&expNumber=0&runNumber=0`;
    const host: [string, string] = ['Host', new URL(app.url).host];
    assert.equal((await exchange(url, 'GET', [host])).status, 200);
    // what another instance's commit looks like from here: the row changes, this process is not told
    await app.deps.prisma.$executeRaw`UPDATE "GlobalTag" SET state = 'INVALID', version = version + 1 WHERE name = 'v2_elsewhere'`;
    const fresh = await exchange(url, 'GET', [host, ['Cache-Control', 'no-cache']]);
    assert.equal(fresh.status, 422);
    assert.match(JSON.parse(fresh.body.toString()).message, /INVALID/);
  });

  it('when running updates commit while jobs read a RUNNING tag, then every answer after the acknowledgement is the new one', async () => {
    await c.tag('v2_live', 'running', [['ECLGain', 1, 0, 0, -1, -1]], 'RUNNING');
    const cpp = new CppMetadataProvider(app.url);
    for (let k = 2; k <= 4; k++) {
      await c.payload('ECLGain', k + 5);
      await c.tag(`v2_staging_${k}`, 'staging', [['ECLGain', k + 5, 0, 0, -1, -1]], 'VALIDATED');
      let stop = false;
      const readers = Array.from({ length: 8 }, async () => {
        while (!stop) await cpp.updatePayloads('v2_live', 1, 1000);
      });
      await runningUpdate(app.deps, MANAGER, { running: 'v2_live', staging: `v2_staging_${k}`, firstValid: { exp: 1, run: k * 100 }, reason: 'concurrent readers' });
      const after = await Promise.all(Array.from({ length: 16 }, () => cpp.updatePayloads('v2_live', 1, 1000)));
      stop = true;
      await Promise.all(readers);
      for (const a of after) assert.deepEqual(a.map((m) => `${m.name} r${m.revision} ${m.iov.join(',')}`), [`ECLGain r${k + 5} 1,${k * 100},-1,-1`]);
      assert.deepEqual(await v1Rows('v2_live', 1, 1000), [`ECLGain r${k + 5} ${md5(`ECLGain#${k + 5}`)} 1,${k * 100},-1,-1`]);
    }
  });
});
