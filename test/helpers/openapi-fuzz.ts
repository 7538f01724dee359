/**
 * Request generation from an OpenAPI 3.0 document (as the server serves it) and the judge of what was sent: a seeded
 * PRNG builds path, query, headers and body for one operation, either valid by the document or broken in one place;
 * `requestProblems` says, with ajv, whether a request was valid by the document (whatever the generator meant).
 */
import { Ajv, type ValidateFunction } from 'ajv';

export type Schema = Record<string, any>;
export interface Operation {
  method: string;
  path: string;
  op: Schema;
}
export interface FuzzRequest {
  method: string;
  /** the URL path as sent (already percent-encoded) */
  url: string;
  /** decoded values of path parameters, or undefined when the segment is not decodable */
  pathValues: Record<string, string | undefined>;
  query: [string, string][];
  headers: Record<string, string>;
  body?: Buffer;
  /** the JSON value of the body, when it is JSON */
  json?: unknown;
  bodyKind: 'none' | 'json' | 'raw' | 'junk';
  /** a header that makes the body undecodable (Content-Encoding junk) or a content type the operation does not take */
  brokenEncoding: boolean;
  wrongContentType: boolean;
}

/** mulberry32: small, fast, seeded. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}
export type Rng = ReturnType<typeof prng>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
/** Parameter locations the generator fills; anything else makes `operations` throw rather than skip it. */
const LOCATIONS = new Set(['path', 'query', 'header']);

/** Replaces local `$ref`s (#/components/…) by what they point to; a cycle deeper than 16 becomes {} (any value). */
function deref(doc: Schema, v: unknown, depth = 0): any {
  if (Array.isArray(v)) return v.map((x) => deref(doc, x, depth));
  if (!v || typeof v !== 'object') return v;
  const ref = (v as Schema).$ref;
  if (typeof ref === 'string') {
    if (!ref.startsWith('#/')) throw new Error(`cannot fuzz a remote $ref ${ref}`);
    if (depth > 16) return {};
    const target = ref.slice(2).split('/').reduce<any>((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    if (target === undefined) throw new Error(`dangling $ref ${ref}`);
    return deref(doc, target, depth + 1);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deref(doc, x, depth)]));
}

/** Every operation the document lists; throws on what the generator cannot fuzz (nothing is skipped silently). */
export function operations(raw: Schema): Operation[] {
  const doc = { ...raw, paths: deref(raw, raw.paths ?? {}) };
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths)) {
    for (const key of Object.keys(item)) {
      if (!METHODS.includes(key) && !['parameters', 'summary', 'description', 'servers'].includes(key)) throw new Error(`${path}: cannot fuzz "${key}"`);
    }
    if (item.parameters) throw new Error(`${path}: path-level parameters are not supported by the fuzzer; declare them per operation`);
    for (const method of METHODS) {
      if (!item[method]) continue;
      for (const p of item[method].parameters ?? []) {
        if (!LOCATIONS.has(p.in)) throw new Error(`${method} ${path}: parameter in "${p.in}" not supported by the fuzzer`);
      }
      out.push({ method, path, op: item[method] });
    }
  }
  return out;
}

/** Strings that break things: control and invisible characters, path tricks, encodings, huge numbers. */
const NASTY_STRINGS = ['', ' ', '\u0000', 'a\u0000b', '..', '.hidden', '-rf', 'a/b', '\u202Eevil', 'zero\u200Bwidth', '\uFEFFbom', '\uD800', '%00', '%', '💥', 'x'.repeat(300), '9223372036854775808', '-1', '1e3', '0x10', ' 12', '12 ', 'true', 'null', '[1]', '2026-03-01T10:00', '2026-13-45T99:99:99Z'];
const NASTY_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 9223372036854775808, 1e308, -0, [], [1], {}, { a: 1 }, '12', '', '\u0000', 'x'.repeat(5000)];

export interface Dictionary {
  /** names that exist on the server, used for a share of name-like strings so requests get past "not found" */
  names: string[];
  ids: number[];
}

const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';

function stringFor(s: Schema, rng: Rng, dict: Dictionary): string {
  if (s.enum) return rng.pick(s.enum);
  if (s.format === 'date-time') return new Date(Date.UTC(2026, rng.int(0, 11), rng.int(1, 28), rng.int(0, 23))).toISOString();
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 24, 24);
  if (s.pattern === NAME_PATTERN || s.pattern) {
    const candidates = [...(rng.chance(0.7) ? dict.names : []), `f${rng.int(0, 999)}_x`, 'e1_bucket1', 'main', 'A', rng.int(0, 99).toString()];
    const re = new RegExp(s.pattern);
    const ok = candidates.filter((c) => re.test(c) && c.length >= min && c.length <= (s.maxLength ?? Infinity));
    if (ok.length) return rng.pick(ok);
  }
  const len = Math.max(min, rng.int(min, Math.max(min, max)));
  let out = '';
  for (let i = 0; i < len; i++) out += 'abcdefghijklmnopqrstuvwxyz0123456789'[rng.int(0, 35)];
  return out;
}

/** A value that the schema accepts (as far as this generator reads schemas). */
export function validValue(s: Schema | undefined, rng: Rng, dict: Dictionary, depth = 0): unknown {
  if (!s || depth > 6) return null;
  if (s.anyOf || s.oneOf) return validValue(rng.pick(s.anyOf ?? s.oneOf), rng, dict, depth + 1);
  if (s.allOf) return validValue(s.allOf[0], rng, dict, depth + 1);
  if (s.nullable && rng.chance(0.1)) return null;
  if (s.enum) return rng.pick(s.enum);
  const type = Array.isArray(s.type) ? rng.pick(s.type) : s.type;
  switch (type) {
    case 'integer':
    case 'number': {
      const lo = s.minimum !== undefined ? Math.ceil(s.minimum) + (s.exclusiveMinimum === true ? 1 : 0) : 0;
      const hi = s.maximum !== undefined ? Math.floor(s.maximum) - (s.exclusiveMaximum === true ? 1 : 0) : lo + 50;
      const base = dict.ids.length && rng.chance(0.4) ? rng.pick(dict.ids) : rng.chance(0.5) ? lo : rng.int(lo, Math.min(hi, lo + 50));
      return Math.min(Math.max(base, lo), hi);
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'string':
      return stringFor(s, rng, dict);
    case 'array': {
      const n = rng.int(s.minItems ?? 0, Math.min(s.maxItems ?? 3, (s.minItems ?? 0) + 3));
      return Array.from({ length: n }, () => validValue(s.items, rng, dict, depth + 1));
    }
    case 'object':
    default: {
      if (!s.properties) return type === 'object' || s.additionalProperties ? {} : rng.pick([0, 'x', true]);
      const out: Record<string, unknown> = {};
      const required = new Set<string>(s.required ?? []);
      for (const [k, v] of Object.entries<Schema>(s.properties)) if (required.has(k) || rng.chance(0.5)) out[k] = validValue(v, rng, dict, depth + 1);
      return out;
    }
  }
}

/** Breaks a value in one place: a wrong type, a nasty string, a missing required key, an unknown key. */
export function breakValue(v: unknown, rng: Rng, depth = 0): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length && depth < 5 && rng.chance(0.7)) {
    const keys = Object.keys(v);
    const k = rng.pick(keys);
    const copy = { ...(v as Record<string, unknown>) };
    const what = rng.next();
    if (what < 0.15) delete copy[k];
    else if (what < 0.2) copy[rng.pick(['__proto__x', 'unknownKey', 'a\u0000'])] = 1;
    else copy[k] = breakValue(copy[k], rng, depth + 1);
    return copy;
  }
  if (Array.isArray(v) && v.length && depth < 5 && rng.chance(0.6)) {
    const copy = [...v];
    const i = rng.int(0, copy.length - 1);
    copy[i] = breakValue(copy[i], rng, depth + 1);
    return copy;
  }
  if (typeof v === 'string' && rng.chance(0.5)) return rng.pick([`${v}\u0000`, `\u202E${v}`, `${v}\u200B`, rng.pick(NASTY_STRINGS)]);
  // what a careless client sends for a number or a boolean: the same value in another type
  if (typeof v === 'number' && rng.chance(0.6)) return rng.pick([String(v), [v], v === 1 ? true : v + 0.5, null]);
  if (typeof v === 'boolean' && rng.chance(0.6)) return rng.pick([String(v), v ? 1 : 0, [v]]);
  return rng.pick(NASTY_VALUES);
}

/** encodeURIComponent, but a lone surrogate (which it cannot encode) is sent as the bytes of one (invalid UTF-8). */
export function encodeText(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '')) + '%ED%A0%80';
  }
}

function textOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const ROLE_NAMES = ['detector_expert', 'calibration_manager', 'data_production_manager', 'admin'] as const;

export interface Callers {
  /** role → token */
  tokens: Record<string, string>;
}

/** One request for one operation. `broken` is the chance that some part is broken on purpose. */
export function generate(o: Operation, rng: Rng, dict: Dictionary, callers: Callers, broken = 0.5): FuzzRequest & { caller: string } {
  const params: Schema[] = o.op.parameters ?? [];
  const pathValues: Record<string, string | undefined> = {};
  let url = o.path;
  for (const p of params.filter((x) => x.in === 'path')) {
    let value = textOf(validValue(p.schema, rng, dict));
    let raw: string | undefined;
    if (rng.chance(broken / 2)) {
      const nasty = rng.pick([...NASTY_STRINGS, '%', '%zz', '%E0%A4%A', '%00', '9223372036854775808', '0', '-5', '1.5', 'by-id']);
      if (/^%/.test(nasty)) raw = nasty;
      else value = nasty;
    }
    const seg = raw ?? encodeText(value);
    if (seg === '') {
      // an empty segment changes the route; send something Express still routes here
      pathValues[p.name] = ' ';
      url = url.replace(`{${p.name}}`, '%20');
      continue;
    }
    let decoded: string | undefined;
    try {
      decoded = decodeURIComponent(seg);
    } catch {
      decoded = undefined;
    }
    pathValues[p.name] = decoded;
    url = url.replace(`{${p.name}}`, seg);
  }
  const query: [string, string][] = [];
  for (const p of params.filter((x) => x.in === 'query')) {
    if (!p.required && rng.chance(0.5)) continue;
    const v = validValue(p.schema, rng, dict);
    const values = Array.isArray(v) ? v.map(textOf) : [textOf(v)];
    if (rng.chance(broken / 3)) values[0] = rng.pick(NASTY_STRINGS);
    for (const x of values) query.push([p.name, x]);
  }
  if (rng.chance(0.03)) query.push(['access_token', 'clb_' + 'A'.repeat(43)]);

  // mostly a role the operation allows (so requests reach the handler), sometimes any other caller
  const allowed = /Allowed: ([^.]+)\./.exec(o.op.description ?? '')?.[1]?.split(/,\s*/).filter((r) => (ROLE_NAMES as readonly string[]).includes(r));
  const caller = rng.chance(0.1) ? 'none' : rng.chance(0.05) ? 'bogus' : allowed?.length && rng.chance(0.7) ? rng.pick(allowed) : rng.pick(ROLE_NAMES);
  const headers: Record<string, string> = {};
  if (caller === 'bogus') headers.authorization = rng.pick(['Bearer clb_nope', 'Basic YWJj', 'Bearer', 'Bearer a b']);
  else if (caller !== 'none') headers.authorization = `Bearer ${callers.tokens[caller]}`;
  // header parameters the document declares: valid, or a value HTTP can carry that the schema refuses
  for (const p of params.filter((x) => x.in === 'header')) {
    if (!p.required && rng.chance(0.5)) continue;
    const v = textOf(validValue(p.schema, rng, dict));
    headers[p.name.toLowerCase()] = rng.chance(broken / 3) ? rng.pick(['', '..', '-1', '9223372036854775808', 'x'.repeat(300), 'a b']) : v;
  }
  if (rng.chance(0.05)) headers['x-request-id'] = rng.pick(['../../etc', 'x'.repeat(200), 'ok-id']);
  if (rng.chance(0.03)) headers['if-none-match'] = rng.pick(['*', 'W/"x"', '"",,,']);

  const content = o.op.requestBody?.content ?? {};
  const jsonSchema = content['application/json']?.schema;
  let body: Buffer | undefined;
  let json: unknown;
  let bodyKind: FuzzRequest['bodyKind'] = 'none';
  if (jsonSchema) {
    json = validValue(jsonSchema, rng, dict);
    if (rng.chance(broken)) json = breakValue(json, rng);
    body = Buffer.from(JSON.stringify(json) ?? 'null');
    bodyKind = 'json';
    headers['content-type'] = 'application/json';
    if (rng.chance(0.04)) {
      body = Buffer.from(rng.pick(['{"a":', '[', '{"x":1}}', 'nul', '\u0000']));
      bodyKind = 'junk';
      json = undefined;
    }
  } else if (Object.keys(content).length) {
    // any other declared content type (octet-stream uploads, forms, text): bytes in that type
    const type = Object.keys(content)[0];
    body = Buffer.from(Array.from({ length: rng.int(0, 64) }, () => rng.int(0, 255)));
    bodyKind = 'raw';
    headers['content-type'] = type;
  } else if (rng.chance(0.1)) {
    json = breakValue({}, rng);
    body = Buffer.from(JSON.stringify(json));
    bodyKind = 'json';
    headers['content-type'] = 'application/json';
  }
  let wrongContentType = false;
  let brokenEncoding = false;
  if (body && rng.chance(0.05)) {
    headers['content-type'] = rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin-7', 'multipart/form-data; boundary=x']);
    wrongContentType = true;
  }
  if (body && rng.chance(0.05)) {
    headers['content-encoding'] = rng.pick(['gzip', 'deflate', 'br', 'x-nonsense']);
    brokenEncoding = true;
  }
  return { method: o.method, url, pathValues, query, headers, body, json, bodyKind, wrongContentType, brokenEncoding, caller };
}

/** OpenAPI 3.0 schema → what ajv (draft-07) reads: boolean exclusive bounds become numeric ones. */
function toDraft7(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toDraft7);
  if (!s || typeof s !== 'object') return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) out[k] = toDraft7(v);
  if (out.exclusiveMinimum === true) {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  } else if (out.exclusiveMinimum === false) delete out.exclusiveMinimum;
  if (out.exclusiveMaximum === true) {
    out.exclusiveMaximum = out.maximum;
    delete out.maximum;
  } else if (out.exclusiveMaximum === false) delete out.exclusiveMaximum;
  return out;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function makeJudge() {
  const strict = new Ajv({ strict: false, allErrors: false });
  // query and path values are text: the document's types are read from their text (ajv's coercion is looser than
  // the server, which is the safe direction: a request valid here may still be refused)
  const text = new Ajv({ strict: false, coerceTypes: 'array' });
  for (const a of [strict, text]) a.addFormat('date-time', (v: string) => ISO_WITH_ZONE.test(v) && !Number.isNaN(Date.parse(v)));
  const cache = new Map<string, ValidateFunction>();
  const compile = (a: Ajv, s: Schema) => {
    const key = `${a === strict ? 'json' : 'text'}:${JSON.stringify(s)}`;
    let f = cache.get(key);
    if (!f) cache.set(key, (f = a.compile(toDraft7(s) as object)));
    return f;
  };
  /** Problems that make the request invalid by the document; empty = valid. */
  return function requestProblems(o: Operation, r: FuzzRequest, callerRole: string | undefined): string[] {
    const problems: string[] = [];
    const params: Schema[] = o.op.parameters ?? [];
    for (const p of params) {
      if (p.in === 'path') {
        const v = r.pathValues[p.name];
        if (v === undefined) problems.push(`path ${p.name} not decodable`);
        else if (!compile(text, p.schema)(v)) problems.push(`path ${p.name}=${JSON.stringify(v)}`);
      } else if (p.in === 'header') {
        const v = r.headers[p.name.toLowerCase()];
        if (v === undefined) {
          if (p.required) problems.push(`header ${p.name} missing`);
        } else if (!compile(text, { type: 'object', properties: { v: p.schema } })({ v })) problems.push(`header ${p.name}=${JSON.stringify(v)}`);
      } else if (p.in === 'query') {
        const values = r.query.filter(([k]) => k === p.name).map(([, v]) => v);
        if (values.length === 0) {
          if (p.required) problems.push(`query ${p.name} missing`);
          continue;
        }
        const value = p.schema?.type === 'array' ? values : values.length === 1 ? values[0] : values;
        const holder = { v: value };
        const ok = compile(text, { type: 'object', properties: { v: p.schema } })(holder);
        if (!ok) problems.push(`query ${p.name}=${JSON.stringify(value)}`);
      }
    }
    const known = new Set(params.filter((p) => p.in === 'query').map((p) => p.name));
    for (const [k] of r.query) if (!known.has(k)) problems.push(`query ${k} not in the document`);
    const content = o.op.requestBody?.content ?? {};
    if (r.bodyKind === 'junk') problems.push('body is not JSON');
    if (r.brokenEncoding) problems.push('body is not in its Content-Encoding');
    if (r.wrongContentType) problems.push('content type not in the document');
    const jsonSchema = content['application/json']?.schema;
    if (jsonSchema && r.bodyKind === 'json' && !compile(strict, jsonSchema)(r.json)) problems.push('body does not match the schema');
    if (jsonSchema && r.bodyKind === 'none' && o.op.requestBody?.required) problems.push('body missing');
    // authorisation as documented: security → a token; "Allowed: a, b." → one of those roles
    const secured = Array.isArray(o.op.security) ? o.op.security.length > 0 : false;
    if (secured && !callerRole) problems.push('no valid token');
    const allowed = /Allowed: ([^.]+)\./.exec(o.op.description ?? '')?.[1];
    if (secured && callerRole && allowed && allowed !== 'any token' && !allowed.split(/,\s*/).includes(callerRole)) problems.push(`role ${callerRole} not allowed`);
    return problems;
  };
}

/** Paths of the number and boolean leaves of a value, e.g. [['filter','exp'], ['dryRun']]. */
export function typedLeaves(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof v === 'number' || typeof v === 'boolean') out.push(path);
  else if (Array.isArray(v)) v.forEach((x, i) => typedLeaves(x, [...path, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) typedLeaves(x, [...path, k], out);
  return out;
}

/** A copy of v with the leaf at path replaced. */
export function withLeaf(v: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(v) ? [...v] : { ...(v as object) };
  copy[head] = withLeaf(copy[head], rest, leaf);
  return copy;
}
