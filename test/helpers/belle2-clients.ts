/**
 * basf2's two conditions clients, reproduced request for request in TypeScript over real HTTP (node:http), so tests
 * can check that calibloop's /v2 answers what they read. Written from their source (belle2/basf2):
 * - the C++ side (framework/database: Downloader.cc, CentralMetadataProvider.cc, PayloadProvider.cc): libcurl with
 *   `Accept: application/json`, `User-Agent: BASF2/<release>`, transparent compression, URLs joined with exactly one
 *   slash, names escaped with curl_easy_escape; at job start `/v2/globalTagStatus`, `/v2/globalTag/<tag>`, then
 *   `v2/iovPayloads/?gtName=…&expNumber=…&runNumber=…`; fields read with nlohmann's `.at()` (a missing one throws);
 *   payloads downloaded from joinWithSlash(baseUrl, payloadUrl) and checked against the md5.
 * - the Python side (framework/scripts/conditions_db/__init__.py, cli_main.py, cli_download.py, testing_payloads.py):
 *   a requests Session (`Accept-Encoding: gzip, deflate`, `Accept: *\/*`), `HEAD v2/globalTags` first, then
 *   `Accept: application/json` and `Cache-Control: no-cache` on every request, errors read as {code, reason, message}.
 * No code of theirs is copied; the requests are rebuilt from what the source sends.
 */
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP exchange exactly as given (header order and values kept), body decoded as the client would. */
export function exchange(url: string, method: string, headers: Array<[string, string]>, body?: Buffer): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: u.pathname + u.search, headers: headers.flat(), setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let b = Buffer.concat(chunks);
        const enc = res.headers['content-encoding'];
        if (enc === 'gzip') b = gunzipSync(b);
        else if (enc === 'deflate') b = inflateSync(b);
        else if (enc === 'br') b = brotliDecompressSync(b);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

// ---------------------------------------------------------------------------------------------- the C++ provider
/** curl_easy_escape: everything but ALPHA / DIGIT / "-" / "." / "_" / "~" percent-encoded (upper-case hex). */
export function curlEscape(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((c) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(c)) ? String.fromCharCode(c) : `%${c.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** Downloader::joinWithSlash */
export function joinWithSlash(base: string, rest: string): string {
  return base.replace(/\/+$/, '') + '/' + rest.replace(/^\/+/, '');
}

/** nlohmann::json::at: a missing key throws (out_of_range). */
function at(o: unknown, key: string): unknown {
  if (o === null || typeof o !== 'object' || Array.isArray(o) || !(key in (o as object))) throw new Error(`[json.exception.out_of_range.403] key '${key}' not found`);
  return (o as Record<string, unknown>)[key];
}

export interface PayloadMetadata {
  name: string;
  globaltag: string;
  payloadUrl: string;
  baseUrl: string;
  checksum: string;
  iov: [number, number, number, number];
  revision: number;
}

export class CppMetadataProvider {
  /** every request sent, as "METHOD url" */
  readonly sent: string[] = [];
  constructor(private readonly baseUrl: string, private readonly release = 'release-08-00-00') {}

  private headers(u: URL): Array<[string, string]> {
    // libcurl's order: Host, User-Agent, then the custom header list, then Accept-Encoding (CURLOPT_ACCEPT_ENCODING "")
    return [['Host', u.host], ['User-Agent', `BASF2/${this.release}`], ['Accept', 'application/json'], ['Accept-Encoding', 'deflate, gzip, br']];
  }

  /** Downloader::download with CURLOPT_FAILONERROR: an HTTP status >= 400 is an error, the body is not read. */
  async download(url: string): Promise<Buffer> {
    this.sent.push(`GET ${url}`);
    const r = await exchange(url, 'GET', this.headers(new URL(url)));
    if (r.status >= 400) throw new Error(`The requested URL returned error: ${r.status}`);
    return r.body;
  }

  async get(path: string): Promise<unknown> {
    return JSON.parse((await this.download(joinWithSlash(this.baseUrl, path))).toString('utf8'));
  }

  /** The constructor's check: the list of states the server knows. */
  async globalTagStates(): Promise<string[]> {
    const result = await this.get('/v2/globalTagStatus');
    return (result as unknown[]).map((info) => at(info, 'name') as string);
  }

  async getGlobaltagStatus(name: string): Promise<string> {
    const info = await this.get('/v2/globalTag/' + curlEscape(name));
    return at(at(info, 'globalTagStatus'), 'name') as string;
  }

  async updatePayloads(globaltag: string, exp: number, run: number): Promise<PayloadMetadata[]> {
    const payloads = await this.get(`v2/iovPayloads/?gtName=${curlEscape(globaltag)}&expNumber=${exp}&runNumber=${run}`);
    if (!Array.isArray(payloads)) throw new Error('expected array');
    return payloads.map((info) => {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) throw new Error('expected payload object');
      const payload = at(info, 'payload');
      const iov = at(info, 'payloadIov');
      return {
        name: at(at(payload, 'basf2Module'), 'name') as string,
        globaltag,
        payloadUrl: at(payload, 'payloadUrl') as string,
        baseUrl: at(payload, 'baseUrl') as string,
        checksum: at(payload, 'checksum') as string,
        iov: [at(iov, 'expStart'), at(iov, 'runStart'), at(iov, 'expEnd'), at(iov, 'runEnd')] as [number, number, number, number],
        revision: at(payload, 'revision') as number,
      };
    });
  }

  /** PayloadProvider::getRemoteFile with the central server as location: baseUrl + payloadUrl, md5 verified. */
  async fetchPayload(m: PayloadMetadata): Promise<Buffer> {
    const bytes = await this.download(joinWithSlash(m.baseUrl, m.payloadUrl));
    if (md5(bytes) !== m.checksum) throw new Error(`checksum mismatch after download of ${m.name} r${m.revision}`);
    return bytes;
  }

  /** What a basf2 job does at start for a tag list and its first run (usable states as basf2's default). */
  async jobStart(tags: string[], exp: number, run: number, usable = ['PUBLISHED', 'RUNNING', 'TESTING', 'VALIDATED', 'OPEN']): Promise<PayloadMetadata[]> {
    await this.globalTagStates();
    for (const t of tags) {
      const status = await this.getGlobaltagStatus(t);
      if (!usable.includes(status)) throw new Error(`globaltag ${t} has unusable state ${status}`);
    }
    const all: PayloadMetadata[] = [];
    for (const t of tags) all.push(...(await this.updatePayloads(t, exp, run)));
    return all;
  }
}

// ---------------------------------------------------------------------------------------------- the Python client
/** urllib.parse.quote(name, safe="") */
export function pyQuote(s: string, safe = ''): string {
  return [...Buffer.from(s, 'utf8')].map((c) => {
    const ch = String.fromCharCode(c);
    return /[A-Za-z0-9_.\-~]/.test(ch) || safe.includes(ch) ? ch : `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}
/** requests' params encoding (urlencode with quote_plus), in dict order */
function pyUrlencode(params: Array<[string, string | number]>): string {
  return params.map(([k, v]) => `${pyQuote(k).replace(/%20/g, '+')}=${pyQuote(String(v)).replace(/%20/g, '+')}`).join('&');
}
/** json.dumps with Python's default separators */
export function pyJsonDumps(v: unknown): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  return `{${Object.entries(v as object).map(([k, x]) => `${pyJsonDumps(k)}: ${pyJsonDumps(x)}`).join(', ')}}`;
}

export class RequestError extends Error {}

export interface PayloadInformation {
  payload_id: number;
  name: string;
  revision: number;
  checksum: string;
  payload_url: string;
  base_url: string;
  iov_id: number | null;
  iov: [number, number, number, number] | null;
}

/** urllib.parse.urljoin(base + "/", url) for a relative url without a scheme */
function urljoin(base: string, url: string): string {
  return new URL(url, base).toString();
}

export class PythonConditionsDB {
  readonly sent: Array<{ method: string; url: string; headers: Array<[string, string]>; body?: Buffer }> = [];
  private sessionHeaders: Array<[string, string]> = [['User-Agent', 'python-requests/2.31.0'], ['Accept-Encoding', 'gzip, deflate'], ['Accept', '*/*'], ['Connection', 'keep-alive']];
  private auth: string | undefined;
  private baseUrl = '';

  /** ConditionsDB.__init__: HEAD v2/globalTags on the server, then JSON and no-cache on every later request. */
  static async connect(baseUrl: string): Promise<PythonConditionsDB> {
    const db = new PythonConditionsDB();
    db.baseUrl = baseUrl.replace(/\/+$/, '') + '/';
    const r = await db.send('HEAD', db.baseUrl + 'v2/globalTags');
    if (r.status >= 400) throw new Error(`${r.status} Client Error for url: ${db.baseUrl}v2/globalTags`); // raise_for_status
    const set = (k: string, v: string) => {
      const i = db.sessionHeaders.findIndex(([h]) => h === k);
      if (i >= 0) db.sessionHeaders[i] = [k, v];
      else db.sessionHeaders.push([k, v]);
    };
    set('Accept', 'application/json');
    set('Cache-Control', 'no-cache');
    return db;
  }

  /** set_authentication(user, password, basic=True) */
  setAuthentication(user: string, password: string): void {
    this.auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  private async send(method: string, url: string, opts: { body?: Buffer; headers?: Array<[string, string]> } = {}): Promise<RawResponse> {
    const u = new URL(url);
    const merged: Array<[string, string]> = [['Host', u.host], ...this.sessionHeaders];
    for (const [k, v] of opts.headers ?? []) {
      const i = merged.findIndex(([h]) => h.toLowerCase() === k.toLowerCase());
      if (i >= 0) merged[i] = [k, v];
      else merged.push([k, v]);
    }
    if (opts.body !== undefined || method === 'POST' || method === 'PUT') merged.push(['Content-Length', String(opts.body?.length ?? 0)]);
    if (this.auth) merged.push(['Authorization', this.auth]);
    this.sent.push({ method, url, headers: merged, body: opts.body });
    return exchange(url, method, merged, opts.body);
  }

  /** ConditionsDB.request: base_url + "v2/" + url, error text from {code, reason, message}, JSON required. */
  async request(method: string, url: string, opts: { params?: Array<[string, string | number]>; json?: unknown; data?: Buffer; headers?: Array<[string, string]> } = {}): Promise<{ status: number; json: unknown; raw: RawResponse }> {
    let full = this.baseUrl + 'v2/' + url.replace(/^\/+/, '');
    if (opts.params) full += '?' + pyUrlencode(opts.params);
    const headers = [...(opts.headers ?? [])];
    let body = opts.data;
    if (opts.json !== undefined) {
      body = Buffer.from(pyJsonDumps(opts.json));
      headers.push(['Content-Type', 'application/json']);
    }
    const r = await this.send(method, full, { body, headers });
    if (r.status >= 300) {
      let error: string;
      try {
        const response = JSON.parse(r.body.toString('utf8'));
        const message = response.message ?? '';
        const colon = String(message).trim() ? ': ' : '';
        if (!('code' in response) || !('reason' in response)) throw new Error(`KeyError: ${'code' in response ? 'reason' : 'code'}`);
        error = `Request ${method} ${url} returned ${response.code} ${response.reason}${colon}${message}`;
      } catch (e) {
        if ((e as Error).message.startsWith('KeyError')) throw e;
        error = `Request ${method} ${url} returned non JSON response ${r.status}: ${r.body}`;
      }
      throw new RequestError(error);
    }
    let json: unknown;
    if (method !== 'HEAD' && r.status !== 204) {
      try {
        json = JSON.parse(r.body.toString('utf8'));
      } catch (e) {
        throw new RequestError(`${method} ${url} returned invalid JSON response ${(e as Error).message}`);
      }
    }
    return { status: r.status, json, raw: r };
  }

  /** get_globalTags: {name: tag} */
  async getGlobalTags(): Promise<Record<string, Record<string, unknown>>> {
    const r = await this.request('GET', '/globalTags');
    return Object.fromEntries((r.json as Array<Record<string, unknown>>).map((t) => [t.name as string, t]));
  }

  async getGlobalTagInfo(name: string): Promise<Record<string, unknown>> {
    return (await this.request('GET', `/globalTag/${pyQuote(name)}`)).json as Record<string, unknown>;
  }

  async hasGlobalTag(name: string): Promise<boolean> {
    try {
      await this.request('GET', `/globalTag/${pyQuote(name)}`);
      return true;
    } catch (e) {
      if (e instanceof RequestError) return false;
      throw e;
    }
  }

  async getGlobalTagType(name: string): Promise<Record<string, unknown> | undefined> {
    const types = Object.fromEntries(((await this.request('GET', '/globalTagType')).json as Array<Record<string, unknown>>).map((e) => [e.name as string, e]));
    return types[name];
  }

  /** create_globalTag: always POST globalTag/DEV */
  async createGlobalTag(name: string, description: string, user: string): Promise<Record<string, unknown>> {
    return (await this.request('POST', '/globalTag/DEV', { json: { name, description, modifiedBy: user, isDefault: false } })).json as Record<string, unknown>;
  }

  /** get_all_iovs: iovPayloads for a run (note: the name is quoted twice, once by encode_name, once by requests) */
  async getAllIovs(globalTag: string, exp?: number, run?: number): Promise<PayloadInformation[]> {
    const gt = pyQuote(globalTag);
    const r = exp !== undefined
      ? await this.request('GET', '/iovPayloads', { params: [['gtName', gt], ['expNumber', exp], ['runNumber', run!]] })
      : await this.request('GET', `/globalTag/${gt}/globalTagPayloads`);
    const all: PayloadInformation[] = [];
    for (const item of r.json as Array<Record<string, unknown>>) {
      const payload = (item.payload ?? item.payloadId) as Record<string, unknown>;
      const iovs = ('payloadIov' in item ? [item.payloadIov] : item.payloadIovs) as Array<Record<string, unknown>>;
      for (const iov of iovs) all.push(fromJson(payload, iov));
    }
    return all.sort(comparePayloadInformation);
  }

  /** get_payloads(global_tag): {(module, checksum): payloadId} */
  async getPayloads(globalTag: string): Promise<Map<string, number>> {
    const r = await this.request('GET', `/globalTag/${pyQuote(globalTag)}/payloads`);
    return new Map((r.json as Array<Record<string, any>>).map((p) => [`${p.basf2Module.name}|${p.checksum}`, p.payloadId as number]));
  }

  async checkPayloads(pairs: Array<[string, string]>, information = 'payloadId'): Promise<Map<string, unknown>> {
    const r = await this.request('POST', '/checkPayloads', { json: pairs.map(([name, checksum]) => ({ name, checksum })) });
    return new Map((r.json as Array<Record<string, any>>).map((p) => [`${p.basf2Module.name}|${p.checksum}`, p[information]]));
  }

  /** The multipart/mixed body create_payload builds with urllib3's encode_multipart_formdata. */
  static payloadBody(filename: string, contents: Buffer, checksum: string, boundary = randomBytes(16).toString('hex')): { body: Buffer; contentType: string } {
    const fields: Array<[string, Buffer, string]> = [
      [filename, contents, 'application/x-root'],
      ['json', Buffer.from(pyJsonDumps({ checksum, isDefault: false })), 'application/json'],
    ];
    const chunks: Buffer[] = [];
    for (const [name, data, mimetype] of fields) {
      const quoted = name.replace(/[\\"]/g, (c) => (c === '"' ? '%22' : '\\\\'));
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quoted}"\r\nContent-Type: ${mimetype}\r\n\r\n`), data, Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return { body: Buffer.concat(chunks), contentType: `multipart/mixed; boundary=${boundary}` };
  }

  async createPayload(module: string, filename: string, checksum?: string): Promise<number> {
    const contents = readFileSync(filename);
    const { body, contentType } = PythonConditionsDB.payloadBody(filename, contents, checksum ?? md5(contents));
    const r = await this.request('POST', `/package/dbstore/module/${pyQuote(module)}/payload`, { data: body, headers: [['Content-Type', contentType]] });
    return (r.json as { payloadId: number }).payloadId;
  }

  async createIov(globalTagId: number, payloadId: number, firstExp: number, firstRun: number, finalExp: number, finalRun: number): Promise<number> {
    const r = await this.request('POST', `/globalTagPayload/${globalTagId},${payloadId}/payloadIov/${firstExp},${firstRun},${finalExp},${finalRun}`);
    return (r.json as { payloadIovId: number }).payloadIovId;
  }

  /** get_iovs: {(payloadId, e1, r1, e2, r2): iovId}; an error means "no iovs" */
  async getIovs(globalTagName: string): Promise<Map<string, number>> {
    let r;
    try {
      r = await this.request('GET', `/globalTag/${pyQuote(globalTagName)}/globalTagPayloads`);
    } catch (e) {
      if (e instanceof RequestError) return new Map();
      throw e;
    }
    const out = new Map<string, number>();
    for (const payload of r.json as Array<Record<string, any>>) {
      const payloadId = payload.payloadId.payloadId as number;
      for (const iov of payload.payloadIovs) out.set([payloadId, iov.expStart, iov.runStart, iov.expEnd, iov.runEnd].join(','), iov.payloadIovId);
    }
    return out;
  }

  /**
   * upload(filename, global_tag): a testing-payloads directory (database.txt + dbstore_<name>_rev_<rev>.root files)
   * into a tag: tag id, existing iovs and payloads, new payloads, new iovs, then the revisions the server gave.
   */
  async upload(filename: string, globalTag: string): Promise<{ ok: boolean; entries: Array<{ module: string; iov: number[]; payload: number; payloadIovId?: number; revision?: number }> }> {
    const dir = dirname(filename);
    const parsed: Array<{ module: string; revision: number; iov: number[]; filename: string }> = [];
    for (const raw of readFileSync(filename, 'utf8').split('\n')) {
      const line = raw.split('#', 1)[0].trim();
      if (!line) continue;
      const [name, revision, iov] = line.split(/\s+/);
      const module = name.split('/')[1];
      parsed.push({ module, revision: Number(revision), iov: iov.split(',').map(Number), filename: join(dir, `dbstore_${module}_rev_${revision}.root`) });
    }
    const tagId = (await this.getGlobalTagInfo(globalTag)).globalTagId as number;
    // sorted(set(reversed(entries))): one entry per (module, iov), the last line winning, sorted by (module, iov)
    const byId = new Map<string, (typeof parsed)[number]>();
    for (const e of [...parsed].reverse()) {
      const id = [e.module, ...e.iov].join(',');
      if (!byId.has(id)) byId.set(id, e);
    }
    const entries = [...byId.values()].sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : cmpNums(a.iov, b.iov)));
    const withSums = entries.map((e) => ({ ...e, checksum: md5(readFileSync(e.filename)) }));
    const payloads = new Map<string, typeof withSums>();
    for (const e of withSums) payloads.set(`${e.module}|${e.checksum}`, [...(payloads.get(`${e.module}|${e.checksum}`) ?? []), e]);
    const existingIovs = await this.getIovs(globalTag);
    const existingPayloads = await this.checkPayloads([...payloads.keys()].map((k) => k.split('|') as [string, string]));
    let failed = 0;
    const result: Array<{ module: string; iov: number[]; payload: number; payloadIovId?: number; revision?: number; checksum: string }> = [];
    const payloadIds = new Map<string, number>();
    for (const [key, list] of payloads) {
      let id = existingPayloads.get(key) as number | undefined;
      if (id === undefined) {
        try {
          id = await this.createPayload(list[0].module, list[0].filename, list[0].checksum);
        } catch (e) {
          if (!(e instanceof RequestError)) throw e;
          failed++;
          continue;
        }
      }
      payloadIds.set(key, id);
    }
    for (const e of withSums) {
      const payload = payloadIds.get(`${e.module}|${e.checksum}`);
      if (payload === undefined) continue;
      const iovKey = [payload, ...e.iov].join(',');
      let payloadIovId = existingIovs.get(iovKey);
      if (payloadIovId === undefined) {
        try {
          payloadIovId = await this.createIov(tagId, payload, e.iov[0], e.iov[1], e.iov[2], e.iov[3]);
        } catch (err) {
          if (!(err instanceof RequestError)) throw err;
          failed++;
          continue;
        }
      }
      result.push({ module: e.module, iov: e.iov, payload, payloadIovId, checksum: e.checksum });
    }
    const revisions = await this.checkPayloads(result.map((r) => [r.module, r.checksum]), 'revision');
    for (const r of result) r.revision = (revisions.get(`${r.module}|${r.checksum}`) as number | undefined) ?? 0;
    return { ok: failed === 0, entries: result };
  }

  /** cli_download.command_download(tag, destination, --create-dbfile): files named basename(payloadUrl), md5 checked. */
  async download(tag: string, destination: string): Promise<{ failed: number; files: string[] }> {
    mkdirSync(destination, { recursive: true });
    const r = await this.request('GET', `/globalTag/${pyQuote(tag)}/globalTagPayloads`);
    const iovlist: Array<[string, number, number, number, number, number]> = [];
    const files: string[] = [];
    let failed = 0;
    for (const info of r.json as Array<Record<string, any>>) {
      const payload = info.payloadId;
      const module = payload.basf2Module.name as string;
      const revision = Number(payload.revision);
      const local = join(destination, basename(payload.payloadUrl));
      const remote = urljoin(payload.baseUrl + '/', payload.payloadUrl);
      const got = existsSync(local) && md5(readFileSync(local)) === payload.checksum ? undefined : await this.send('GET', remote);
      if (got && got.status !== 200) {
        failed++;
        continue;
      }
      if (got) writeFileSync(local, got.body);
      if (md5(readFileSync(local)) !== payload.checksum) {
        failed++;
        continue;
      }
      files.push(local);
      for (const iov of info.payloadIovs) iovlist.push([module, revision, iov.expStart, iov.runStart, iov.expEnd, iov.runEnd]);
    }
    iovlist.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : cmpNums(a.slice(1) as number[], b.slice(1) as number[])));
    writeFileSync(join(destination, 'database.txt'), iovlist.map((e) => `dbstore/${e[0]} ${e[1]} ${e[2]},${e[3]},${e[4]},${e[5]}\n`).join(''));
    return { failed, files };
  }
}

function cmpNums(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** PayloadInformation.from_json: a missing key raises KeyError */
function fromJson(payload: Record<string, any>, iov: Record<string, any>): PayloadInformation {
  const need = (o: Record<string, any>, k: string) => {
    if (!(k in o)) throw new Error(`KeyError: '${k}'`);
    return o[k];
  };
  return {
    payload_id: need(payload, 'payloadId'),
    name: need(need(payload, 'basf2Module'), 'name'),
    revision: need(payload, 'revision'),
    checksum: need(payload, 'checksum'),
    payload_url: need(payload, 'payloadUrl'),
    base_url: need(payload, 'baseUrl'),
    iov_id: need(iov, 'payloadIovId'),
    iov: [need(iov, 'expStart'), need(iov, 'runStart'), need(iov, 'expEnd'), need(iov, 'runEnd')],
  };
}

/** PayloadInformation.__lt__: (name.lower(), iov, revision) */
function comparePayloadInformation(a: PayloadInformation, b: PayloadInformation): number {
  const na = a.name.toLowerCase();
  const nb = b.name.toLowerCase();
  if (na !== nb) return na < nb ? -1 : 1;
  return cmpNums(a.iov ?? [], b.iov ?? []) || a.revision - b.revision;
}

/** PayloadInformation.url: urljoin(base_url + '/', payload_url) */
export function payloadInformationUrl(p: PayloadInformation): string {
  return urljoin(p.base_url + '/', p.payload_url);
}
