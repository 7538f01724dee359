/**
 * The read side of the Belle II conditions REST API (v2), anonymous like every conditions read: tag list and detail,
 * the state and type vocabularies, a tag's whole content, and the payload files in basf2's server layout.
 */
import type { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { invalid } from '../../domain/errors.ts';
import { tagLifecycle } from '../../domain/tag-states.ts';
import { listTags, showTag } from '../../services/conditions/list-tags.ts';
import { countTagPayloads, listTagPayloads } from '../../services/conditions/list-tag-payloads.ts';
import { PayloadNameSchema, TagNameSchema } from '../../services/conditions/support/schemas.ts';
import { sendPayloadFile } from '../routes/conditions-payloads.ts';
import { FILES_PATH, iovJson, payloadJson, statusJson, tagJson, typeList } from './belle2-json.ts';
import { answerIovPayloads, originOrThrow, parseIovPayloadsQuery } from './iov-payloads.ts';

/** Tag names come percent-encoded in the path (Express decodes them); the grammar is calibloop's. */
export function tagNameParam(value: unknown): string {
  const r = TagNameSchema.safeParse(value);
  if (!r.success) throw invalid('invalid global tag name', [{ path: 'params.name', message: r.error.issues[0]?.message ?? 'invalid' }]);
  return r.data;
}

export function registerV2ReadRoutes(router: Router, deps: Deps): void {
  // HEAD is how the Python client checks a server works (Express answers HEAD from the GET route, without the body).
  router.get('/globalTags', async (_req, res) => {
    const [tags, counts] = await Promise.all([listTags(deps, { limit: 5000 }), countTagPayloads(deps)]);
    res.json(tags.map((t) => tagJson(t, counts.get(t.id) ?? 0)));
  });

  router.get('/globalTag/:name', async (req, res) => {
    const tag = await showTag(deps, tagNameParam(req.params.name));
    res.json(tagJson(tag, (await countTagPayloads(deps, tag.id)).get(tag.id) ?? 0));
  });

  router.get('/globalTagStatus', (_req, res) => {
    res.json(tagLifecycle.list.map(statusJson));
  });

  router.get('/globalTagType', (_req, res) => {
    res.json(typeList());
  });

  router.get('/iovPayloads', async (req, res) => {
    const { query, problems } = parseIovPayloadsQuery((k) => (req.query as Record<string, unknown>)[k]);
    if (!query) throw invalid('invalid query', problems);
    await answerIovPayloads(deps, req, res, query, originOrThrow(req));
  });

  router.get('/globalTag/:name/globalTagPayloads', async (req, res) => {
    const baseUrl = originOrThrow(req) + FILES_PATH;
    const { groups } = await listTagPayloads(deps, tagNameParam(req.params.name));
    res.json(groups.map((g) => ({ payloadId: payloadJson(g.payload, baseUrl), payloadIovs: g.iovs.map(iovJson) })));
  });

  router.get('/globalTag/:name/payloads', async (req, res) => {
    const baseUrl = originOrThrow(req) + FILES_PATH;
    const { groups } = await listTagPayloads(deps, tagNameParam(req.params.name));
    res.json(groups.map((g) => payloadJson(g.payload, baseUrl)));
  });

  // baseUrl + "/" + payloadUrl = /v2/files/dbstore/<name>/dbstore_<name>_rev_<revision>.root
  router.get('/files/dbstore/:name/:file', async (req, res) => {
    const name = PayloadNameSchema.safeParse(req.params.name);
    const m = name.success ? /^dbstore_(.+)_rev_([1-9][0-9]{0,9})\.root$/.exec(String(req.params.file)) : null;
    if (!name.success || !m || m[1] !== name.data || Number(m[2]) > 2 ** 31 - 1) {
      throw invalid('payload files are dbstore/<name>/dbstore_<name>_rev_<revision>.root', [{ path: 'params.file', message: 'not a payload file name of this payload' }]);
    }
    await sendPayloadFile(deps, req, res, name.data, Number(m[2]));
  });
}
