/**
 * The write side `b2conditionsdb upload` uses, as one more door into the same conditions services as /api/v1: the
 * same roles, tag-state rules (IoVs only into OPEN tags; a RUNNING tag grows by running update only), overlap checks,
 * audit records and tag history. Requests are exactly what basf2's `ConditionsDB` class sends:
 * - `POST checkPayloads` with `[{name, checksum}]` → the payloads already stored (read only, so anonymous);
 * - `POST package/dbstore/module/{name}/payload`, multipart/mixed (file part + `json` part with the md5) → the payload;
 * - `POST globalTagPayload/{globalTagId},{payloadId}/payloadIov/{e1},{r1},{e2},{r2}` (no body) → the IoV;
 * - `POST globalTag/{type}` with `{name, description, modifiedBy, isDefault}` → the new OPEN tag.
 */
import { Readable } from 'node:stream';
import type { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { invalid } from '../../domain/errors.ts';
import { TAG_TYPE_LIST } from '../../domain/tag-states.ts';
import { requireActor } from '../route.ts';
import { zodIssues } from '../errors.ts';
import { MANAGER } from '../routes/conditions-common.ts';
import { findPayloadsByChecksum } from '../../services/conditions/read-payloads.ts';
import { uploadPayload } from '../../services/conditions/upload-payload.ts';
import { addIovByIds } from '../../services/conditions/add-iov.ts';
import { createTag } from '../../services/conditions/create-tag.ts';
import { PayloadNameSchema, TagNameSchema } from '../../services/conditions/support/schemas.ts';
import { FILES_PATH, iovJson, payloadJson, tagJson, typeFromName, TYPE_ALIASES } from './belle2-json.ts';
import { originOrThrow } from './iov-payloads.ts';
import { boundaryOf, parseMultipart, readBody } from './multipart-mixed.ts';

const Md5 = z.string().regex(/^[0-9a-fA-F]{32}$/, 'an md5 hex digest (32 hex digits)');
const CheckPayloadsBody = z.array(z.object({ name: PayloadNameSchema, checksum: Md5 }).strict()).max(10_000);
const PayloadJsonPart = z.object({ checksum: Md5, isDefault: z.boolean().optional() }).strict();
const CreateTagBody = z.object({ name: TagNameSchema, description: z.string().max(10_000).default(''), modifiedBy: z.string().max(200).nullable().optional(), isDefault: z.boolean().optional() }).strict();

/** Multipart framing around the payload bytes: headers, boundaries, the json part. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid('invalid body', zodIssues(r.error, ['body']));
  return r.data;
}

function actorFor(res: { locals: Record<string, unknown> }): Actor {
  const actor = res.locals.actor as Actor | undefined;
  requireActor(MANAGER, actor);
  return actor!;
}

const INT = /^-?(0|[1-9][0-9]{0,9})$/;

function intList(value: unknown, n: number, what: string): number[] {
  const parts = String(value).split(',');
  if (parts.length !== n || !parts.every((p) => INT.test(p))) throw invalid(`invalid ${what}`, [{ path: `params.${what}`, message: `${n} comma-separated integers` }]);
  return parts.map(Number);
}

export function registerV2WriteRoutes(router: Router, deps: Deps): void {
  router.post('/checkPayloads', async (req, res) => {
    const pairs = parseBody(CheckPayloadsBody, req.body);
    const baseUrl = originOrThrow(req) + FILES_PATH;
    res.json((await findPayloadsByChecksum(deps, pairs)).map((p) => payloadJson(p, baseUrl)));
  });

  router.post('/package/dbstore/module/:name/payload', async (req, res) => {
    const actor = actorFor(res);
    const name = PayloadNameSchema.safeParse(req.params.name);
    if (!name.success) throw invalid('invalid payload name', [{ path: 'params.name', message: name.error.issues[0]?.message ?? 'invalid' }]);
    const boundary = boundaryOf(req.headers['content-type']);
    const parts = parseMultipart(await readBody(req, deps.config.maxPayloadBytes + MULTIPART_OVERHEAD_BYTES), boundary);
    const meta = parts.find((p) => p.name === 'json');
    const file = parts.find((p) => p !== meta);
    if (!meta || !file || parts.length !== 2) {
      throw invalid('the upload must hold two parts: the payload file and "json" with its checksum', [{ path: 'body', message: `got ${parts.length} part(s)${meta ? '' : ', no "json" part'}` }]);
    }
    let metaValue: unknown;
    try {
      metaValue = JSON.parse(meta.data.toString('utf8'));
    } catch {
      throw invalid('the "json" part is not JSON', [{ path: 'body.json', message: 'malformed JSON' }]);
    }
    const { checksum } = parseBody(PayloadJsonPart, metaValue);
    const result = await uploadPayload(deps, actor, { name: name.data, source: Readable.from([file.data]), expectedMd5: checksum, reason: 'uploaded through the Belle II /v2 API' });
    res.status(result.created ? 201 : 200).json(payloadJson(result, originOrThrow(req) + FILES_PATH));
  });

  router.post('/globalTagPayload/:ids/payloadIov/:iov', async (req, res) => {
    const actor = actorFor(res);
    const [tagId, payloadId] = intList(req.params.ids, 2, 'ids');
    const [firstExp, firstRun, finalExp, finalRun] = intList(req.params.iov, 4, 'iov');
    const iov = await addIovByIds(deps, actor, { tagId, payloadId, iov: { firstExp, firstRun, finalExp, finalRun }, reason: 'added through the Belle II /v2 API' });
    res.status(201).json(iovJson(iov));
  });

  router.post('/globalTag/:type', async (req, res) => {
    const actor = actorFor(res);
    const type = typeFromName(String(req.params.type));
    if (!type) {
      throw invalid(`unknown global tag type ${req.params.type}`, [{ path: 'params.type', message: `one of ${[...TAG_TYPE_LIST, ...Object.keys(TYPE_ALIASES)].join(', ')}` }]);
    }
    const body = parseBody(CreateTagBody, req.body);
    const tag = await createTag(deps, actor, { name: body.name, type, description: body.description });
    res.status(201).json(tagJson(tag, 0));
  });
}
