/**
 * The in-process read cache behind tag-chain resolution. Reads dominate the conditions store (thousands of jobs
 * resolving their run at start-up), so the hot path must not touch the database for immutable data:
 *
 * - **Tag info** (id, state, version): PUBLISHED tags are remembered and re-checked at most every few seconds (their
 *   content never changes; only a move to INVALID matters, and the instance that makes it forgets the tag at once). Any
 *   other tag is looked up on every request: one indexed query for the whole chain.
 * - **Tag indexes** keyed by (tag id, version): every change of a tag bumps its version in the same transaction, so a
 *   cached index can never be stale, only unused. PUBLISHED tags keep one version forever.
 * - **Responses** keyed by (chain of id:version, segment): a chain's answer is constant between two consecutive IoV
 *   boundaries, so every run in a segment shares one serialised body, its gzip and its strong ETag. Bounded by the
 *   memory the answers take (MAX_RESPONSE_MEMORY), least recently used first out.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Deps } from '../../../deps.ts';
import { unknownName } from '../../../domain/errors.ts';
import { iovFromKeys, pointKey, type Iov } from '../../../domain/iov.ts';
import { assertServable, type TagState } from '../../../domain/tag-states.ts';
import { TagIndex, chainBoundaries, resolveIndexedChain, segmentOf, type Entry } from '../../../domain/resolution.ts';
import { payloadUrl } from './payloads.ts';

export interface CachedEntry extends Entry {
  md5: string;
  /** row ids and provenance, for the Belle II /v2 door (payloadId, payloadIovId, dtmIns, modifiedBy) */
  payloadId: number;
  iovId: number;
  insertedAtMs: number;
  insertedBy: string;
  payloadCreatedAtMs: number;
  payloadCreatedBy: string;
}

export interface TagInfo {
  id: number;
  name: string;
  state: TagState;
  version: number;
}

export interface ResolvedPayload {
  name: string;
  revision: number;
  checksum: string;
  url: string;
  iov: [number, number, number, number];
  tag: string;
}

export interface ResolutionBody {
  tags: string[];
  /** every run in this interval resolves to exactly these payloads */
  validFor: [number, number, number, number];
  immutable: boolean;
  payloads: ResolvedPayload[];
}

/** A JSON answer serialised once: its bytes, its gzip (made on first demand) and strong ETags for both. */
export interface EncodedBody {
  body: Buffer;
  etag: string;
  immutable: boolean;
  gzip(): Buffer;
  etagGzip: string;
}

export interface CachedResponse extends EncodedBody {
  value: ResolutionBody;
  /** the resolved rows behind `value.payloads`, in the same order (other encodings of the same answer use them) */
  entries: ReadonlyArray<CachedEntry & { tag: string }>;
}

export interface ResolveOptions {
  revalidate?: boolean;
}

/** How long a PUBLISHED tag's state is trusted before it is checked again (another instance may invalidate it). */
export const PUBLISHED_RECHECK_MS = 5_000;
/** Tag indexes kept in memory, counted in IoVs (a 100k-IoV tag takes a few tens of MB). */
const MAX_INDEXED_IOVS = 2_000_000;
const MAX_INDEXES = 64;
/**
 * Cached answers, counted in the memory they take: a response holds its JSON body and the parsed `value` behind it,
 * measured at 3.4× the body's bytes (50 and 500 payloads alike; the gzip, made on demand, is a tenth of the body).
 * Counting body bytes alone let the old 256 MB bound hold ~870 MB, twice a server's whole RSS budget.
 */
const RESPONSE_MEMORY_FACTOR = 3.5;
const MAX_RESPONSE_MEMORY = 128 * 1024 * 1024;
const responseCost = (r: CachedResponse) => r.body.length * RESPONSE_MEMORY_FACTOR;

class ConditionsCache {
  private published = new Map<string, { info: TagInfo; checkedAt: number }>();
  private indexes = new Map<string, Promise<{ version: number; index: TagIndex<CachedEntry> }>>();
  private indexSizes = new Map<string, number>();
  /** the loaded indexes of `indexes`, for the synchronous peek */
  private ready = new Map<string, { version: number; index: TagIndex<CachedEntry> }>();
  private bounds = new Map<string, number[]>();
  private responses = new Map<string, CachedResponse>();
  private responseMemory = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly deps: Pick<Deps, 'prisma' | 'logger'>) {}

  forget(name: string): void {
    this.published.delete(name);
  }

  /**
   * Tag rows by name, batched: every lookup asked while the previous query is still running (or, with none running,
   * during one turn of the event loop) shares one query, sent after all of them arrived — so each still reads a state
   * committed no earlier than its own request. Under a burst of jobs this turns hundreds of identical queries into one
   * per database round trip.
   */
  private batch: { names: Set<string>; result: Promise<Map<string, TagInfo>> } | undefined;
  private inflight: Promise<unknown> | undefined;

  private lookup(names: readonly string[]): Promise<Map<string, TagInfo>> {
    if (!this.batch) {
      const batch = { names: new Set<string>(), result: undefined as unknown as Promise<Map<string, TagInfo>> };
      const turn = this.inflight ? this.inflight.then(noop, noop) : new Promise<void>((r) => setImmediate(r));
      batch.result = turn.then(async () => {
        if (this.batch === batch) this.batch = undefined;
        const rows = await this.deps.prisma.$queryRaw<TagInfo[]>`SELECT id, name, state, version FROM "GlobalTag" WHERE name = ANY(${[...batch.names]}::text[])`;
        return new Map(rows.map((r) => [r.name, r]));
      });
      this.batch = batch;
      this.inflight = batch.result;
      batch.result.then(noop, noop).then(() => {
        if (this.inflight === batch.result) this.inflight = undefined;
      });
    }
    for (const n of names) this.batch.names.add(n);
    return this.batch.result;
  }

  async tagInfos(names: readonly string[], opts: ResolveOptions = {}): Promise<TagInfo[]> {
    const now = performance.now();
    const out = new Map<string, TagInfo>();
    const missing: string[] = [];
    for (const n of names) {
      const p = this.published.get(n);
      if (p && !opts.revalidate && now - p.checkedAt < PUBLISHED_RECHECK_MS) out.set(n, p.info);
      else missing.push(n);
    }
    if (missing.length) {
      const rows = await this.lookup(missing);
      for (const n of missing) {
        const r = rows.get(n);
        if (!r) continue;
        out.set(r.name, r);
        if (r.state === 'PUBLISHED') this.published.set(r.name, { info: r, checkedAt: now });
        else this.published.delete(r.name);
      }
    }
    return names.map((n) => {
      const i = out.get(n);
      if (!i) throw unknownName('tag', n);
      assertServable(i.name, i.state);
      return i;
    });
  }

  private index(info: TagInfo): Promise<{ version: number; index: TagIndex<CachedEntry> }> {
    const key = `${info.id}:${info.version}`;
    let p = this.indexes.get(key);
    if (!p) {
      p = loadIndex(this.deps, info.id);
      this.indexes.set(key, p);
      p.then(
        (l) => {
          if (this.indexes.get(key) !== p) return;
          this.indexSizes.set(key, l.index.size);
          this.ready.set(key, l);
          this.evictIndexes(key);
        },
        () => this.indexes.delete(key),
      );
    } else {
      // most recently used last
      this.indexes.delete(key);
      this.indexes.set(key, p);
    }
    return p;
  }

  private evictIndexes(keep: string): void {
    let total = [...this.indexSizes.values()].reduce((a, b) => a + b, 0);
    for (const key of [...this.indexes.keys()]) {
      if (total <= MAX_INDEXED_IOVS && this.indexes.size <= MAX_INDEXES) break;
      if (key === keep || !this.indexSizes.has(key)) continue;
      total -= this.indexSizes.get(key)!;
      this.indexSizes.delete(key);
      this.indexes.delete(key);
      this.ready.delete(key);
    }
  }

  /** The cached answer of a chain segment, if there is one (and the boundaries of the chain). */
  private cached(chainKey: string, loaded: ReadonlyArray<{ index: TagIndex<CachedEntry> }>, exp: number, run: number): { b: number[]; seg: number; hit?: CachedResponse } {
    let b = this.bounds.get(chainKey);
    if (!b) {
      b = chainBoundaries(loaded.map((l) => l.index));
      this.bounds.set(chainKey, b);
      if (this.bounds.size > MAX_INDEXES * 4) this.bounds.delete(this.bounds.keys().next().value!);
    }
    const seg = segmentOf(b, pointKey(exp, run));
    const key = `${chainKey}#${seg}`;
    const hit = this.responses.get(key);
    if (hit) {
      this.hits++;
      // refresh LRU position
      this.responses.delete(key);
      this.responses.set(key, hit);
    }
    return { b, seg, hit };
  }

  /**
   * Synchronous hit for a chain of PUBLISHED tags whose state was checked less than PUBLISHED_RECHECK_MS ago, whose
   * indexes are loaded and whose answer for this segment is cached; undefined otherwise (then `resolve`). The same
   * trust rules as `resolve`, without its promises: the hot path of jobs starting on a published chain.
   */
  peek(names: readonly string[], exp: number, run: number, opts: ResolveOptions = {}): CachedResponse | undefined {
    if (opts.revalidate) return undefined;
    const now = performance.now();
    const loaded: Array<{ version: number; index: TagIndex<CachedEntry> }> = [];
    let chainKey = '';
    for (const n of names) {
      const p = this.published.get(n);
      if (!p || now - p.checkedAt >= PUBLISHED_RECHECK_MS) return undefined;
      const l = this.ready.get(`${p.info.id}:${p.info.version}`);
      if (!l) return undefined;
      loaded.push(l);
      chainKey += `${chainKey ? '|' : ''}${p.info.id}:${l.version}`;
    }
    return this.cached(chainKey, loaded, exp, run).hit;
  }

  async resolve(names: readonly string[], exp: number, run: number, opts: ResolveOptions = {}): Promise<CachedResponse> {
    const infos = await this.tagInfos(names, opts);
    const loaded = await Promise.all(infos.map((i) => this.index(i)));
    const chainKey = infos.map((i, k) => `${i.id}:${loaded[k].version}`).join('|');
    const { b, seg, hit } = this.cached(chainKey, loaded, exp, run);
    if (hit) return hit;
    this.misses++;
    const immutable = infos.every((i) => i.state === 'PUBLISHED');
    const resolved = resolveIndexedChain(
      infos.map((i, k) => ({ tag: i.name, index: loaded[k].index })),
      exp,
      run,
    );
    const validFor = iovFromKeys(seg === 0 ? 0 : b[seg - 1], seg < b.length ? b[seg] - 1 : Number.POSITIVE_INFINITY);
    const response = makeResponse(infos.map((i) => i.name), validFor, immutable, resolved);
    this.responses.set(`${chainKey}#${seg}`, response);
    this.responseMemory += responseCost(response);
    while (this.responseMemory > MAX_RESPONSE_MEMORY && this.responses.size > 1) {
      const oldest = this.responses.keys().next().value!;
      this.responseMemory -= responseCost(this.responses.get(oldest)!);
      this.responses.delete(oldest);
    }
    return response;
  }
}

export function bodyOf(tags: string[], validFor: Iov, immutable: boolean, resolved: ReadonlyArray<CachedEntry & { tag: string }>): ResolutionBody {
  return {
    tags,
    validFor: [validFor.firstExp, validFor.firstRun, validFor.finalExp, validFor.finalRun],
    immutable,
    payloads: resolved.map((r) => ({
      name: r.name,
      revision: r.revision,
      checksum: r.md5,
      url: payloadUrl(r.name, r.revision),
      iov: [r.firstExp, r.firstRun, r.finalExp, r.finalRun],
      tag: r.tag,
    })),
  };
}

export function makeResponse(tags: string[], validFor: Iov, immutable: boolean, resolved: ReadonlyArray<CachedEntry & { tag: string }>): CachedResponse {
  const value = bodyOf(tags, validFor, immutable, resolved);
  return { ...encodeBody(Buffer.from(JSON.stringify(value)), immutable), value, entries: resolved };
}

export function encodeBody(body: Buffer, immutable: boolean): EncodedBody {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 32);
  let gz: Buffer | undefined;
  return {
    body,
    immutable,
    etag: `"${hash}"`,
    etagGzip: `"${hash}-gz"`,
    // level 1: a third of the CPU of the default for a few percent more bytes; computed once per segment
    gzip: () => (gz ??= gzipSync(body, { level: 1 })),
  };
}

/**
 * All live IoVs of a tag with their payload checksums, and the tag's version, in one statement (one snapshot). The rows
 * come back as one text blob: for 100k IoVs that is several times faster than 100k row objects.
 */
async function loadIndex(deps: Pick<Deps, 'prisma' | 'logger'>, tagId: number): Promise<{ version: number; index: TagIndex<CachedEntry> }> {
  const started = performance.now();
  // unit (\x1f) and record (\x1e) separators: user names may hold commas
  const rows = await deps.prisma.$queryRaw<Array<{ version: number; data: string | null }>>`
    SELECT (SELECT version FROM "GlobalTag" WHERE id = ${tagId}) AS version,
      (SELECT string_agg(concat_ws(chr(31), i.name, i.revision, i."firstExp", i."firstRun", i."finalExp", i."finalRun", p.md5,
                                   i."payloadId", i.id, floor(extract(epoch FROM i."insertedAt") * 1000)::bigint,
                                   floor(extract(epoch FROM p."createdAt") * 1000)::bigint, i."insertedBy", p."createdBy"), chr(30))
       FROM "Iov" i JOIN "Payload" p ON p.id = i."payloadId"
       WHERE i."tagId" = ${tagId} AND i."removedAt" IS NULL) AS data`;
  const entries: CachedEntry[] = [];
  const data = rows[0]?.data;
  if (data) {
    for (const line of data.split('\x1e')) {
      const f = line.split('\x1f');
      entries.push({
        name: f[0], revision: +f[1], firstExp: +f[2], firstRun: +f[3], finalExp: +f[4], finalRun: +f[5], md5: f[6],
        payloadId: +f[7], iovId: +f[8], insertedAtMs: +f[9], payloadCreatedAtMs: +f[10], insertedBy: f[11], payloadCreatedBy: f[12],
      });
    }
  }
  const index = new TagIndex(entries);
  deps.logger.debug?.('tag index loaded', { tagId, version: rows[0]?.version, iovs: entries.length, ms: Math.round(performance.now() - started) });
  return { version: rows[0]?.version ?? 0, index };
}

const noop = () => undefined;
const caches = new WeakMap<object, ConditionsCache>();

/** The cache of one dependency graph (one per process in production; one per test app in tests). */
export function conditionsCache(deps: Pick<Deps, 'prisma' | 'logger'>): ConditionsCache {
  let c = caches.get(deps.prisma);
  if (!c) {
    c = new ConditionsCache(deps);
    caches.set(deps.prisma, c);
  }
  return c;
}

/** Hits and misses of this dependency graph's response cache so far (for /metrics). */
export function conditionsCacheStats(prisma: object): { hits: number; misses: number } {
  const c = caches.get(prisma);
  return { hits: c?.hits ?? 0, misses: c?.misses ?? 0 };
}

/** After a state change or rename committed here: stop trusting what this instance remembered about the tag. */
export function forgetTag(deps: Pick<Deps, 'prisma' | 'logger'>, name: string): void {
  caches.get(deps.prisma)?.forget(name);
}

export type { ConditionsCache };
