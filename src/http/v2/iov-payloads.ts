/**
 * `GET /v2/iovPayloads/?gtName=&expNumber=&runNumber=`: the payloads valid for one run in one tag, as basf2's metadata
 * provider asks at job start. Answered from the same in-memory index and per-segment cached answer as
 * `/api/v1/resolve` (services/conditions/support/resolution-cache.ts): the Belle II encoding of a cached answer is
 * made once per answer and origin, so a run in a known segment costs one lookup and a write of prepared bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../../deps.ts';
import { MAX_EXP, MAX_RUN } from '../../domain/iov.ts';
import { invalid } from '../../domain/errors.ts';
import { isValidTagName, TAG_NAME_MAX } from '../../config/globaltags-schema.ts';
import { encodeBody, type CachedResponse, type EncodedBody } from '../../services/conditions/support/resolution-cache.ts';
import { resolveChainResponse } from '../../services/conditions/resolve-chain.ts';
import { sendEncoded, wantsFresh } from '../routes/conditions-common.ts';
import { FILES_PATH, iovJson, payloadJson } from './belle2-json.ts';

export interface IovPayloadsQuery {
  gtName: string;
  expNumber: number;
  runNumber: number;
}

/** Origins seen per cached answer (normally one or two: the server's name and a Squid's view of it). */
const MAX_ORIGINS = 8;
const encodings = new WeakMap<CachedResponse, Map<string, EncodedBody>>();

export function encodeIovPayloads(r: CachedResponse, baseUrl: string): EncodedBody {
  let byOrigin = encodings.get(r);
  if (!byOrigin) encodings.set(r, (byOrigin = new Map()));
  let enc = byOrigin.get(baseUrl);
  if (!enc) {
    const items = r.value.payloads.map((_, k) => {
      const e = r.entries[k];
      return {
        payload: payloadJson({ id: e.payloadId, name: e.name, revision: e.revision, md5: e.md5, createdAt: e.payloadCreatedAtMs, createdBy: e.payloadCreatedBy }, baseUrl),
        payloadIov: iovJson({ ...e, id: e.iovId, insertedAt: e.insertedAtMs }),
      };
    });
    enc = encodeBody(Buffer.from(JSON.stringify(items)), r.immutable);
    if (byOrigin.size >= MAX_ORIGINS) byOrigin.delete(byOrigin.keys().next().value!);
    byOrigin.set(baseUrl, enc);
  }
  return enc;
}

const UINT = /^(0|[1-9][0-9]{0,9})$/;

/**
 * Strict reading of the query (no coercion): exactly one of each parameter, decimal integers without sign, leading
 * zeros or exponent, inside calibloop's bounds. Returns the problems by parameter name.
 */
export function parseIovPayloadsQuery(get: (name: string) => unknown): { query?: IovPayloadsQuery; problems: Array<{ path: string; message: string }> } {
  const problems: Array<{ path: string; message: string }> = [];
  const gtName = get('gtName');
  if (typeof gtName !== 'string' || !gtName) problems.push({ path: 'query.gtName', message: 'required: one global tag name' });
  else if (gtName.length > TAG_NAME_MAX || !isValidTagName(gtName)) problems.push({ path: 'query.gtName', message: 'a tag name has letters, digits, "_", "-", "." only' });
  const num = (key: 'expNumber' | 'runNumber', max: number): number => {
    const v = get(key);
    if (typeof v !== 'string') {
      problems.push({ path: `query.${key}`, message: v === undefined ? 'required' : 'give it once' });
      return NaN;
    }
    const n = UINT.test(v) ? Number(v) : NaN;
    if (!(n <= max)) problems.push({ path: `query.${key}`, message: `must be an integer from 0 to ${max}` });
    return n;
  };
  const expNumber = num('expNumber', MAX_EXP);
  const runNumber = num('runNumber', MAX_RUN);
  if (problems.length) return { problems };
  return { query: { gtName: gtName as string, expNumber, runNumber }, problems };
}

const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

/** The origin the client reached us under (a Squid in front keeps the Host header), for the answer's baseUrl. */
export function originOf(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const fwdHost = req.headers['x-forwarded-host'];
  const host = (typeof fwdHost === 'string' && fwdHost.split(',')[0].trim()) || req.headers.host;
  if (!host || !HOST.test(host)) return undefined;
  const fwdProto = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim().toLowerCase();
  return `${fwdProto === 'https' ? 'https' : 'http'}://${host}`;
}

export function originOrThrow(req: Pick<IncomingMessage, 'headers'>): string {
  const origin = originOf(req);
  if (!origin) throw invalid('the Host header is missing or malformed', [{ path: 'headers.host', message: 'needed to tell clients where payload files are' }]);
  return origin;
}

export async function answerIovPayloads(deps: Deps, req: IncomingMessage, res: ServerResponse, q: IovPayloadsQuery, origin: string): Promise<void> {
  const r = await resolveChainResponse(deps, { tags: [q.gtName], exp: q.expNumber, run: q.runNumber }, { trusted: true, revalidate: wantsFresh(req) });
  sendEncoded(req, res, encodeIovPayloads(r, origin + FILES_PATH));
}
