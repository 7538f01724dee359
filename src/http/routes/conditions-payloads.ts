/**
 * Payload endpoints: streamed upload (raw body or multipart), metadata, revisions, and download with checksum headers.
 * Payload bytes never change, so downloads are cacheable forever and answer If-None-Match with 304.
 */
import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { z } from 'zod';
import { MAX_ID, textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { DomainError } from '../../domain/errors.ts';
import { PayloadFileSchema } from '../response-schemas.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { uploadPayload } from '../../services/conditions/upload-payload.ts';
import { listPayloadNames, listPayloadRevisions, openPayloadContent, showPayload } from '../../services/conditions/read-payloads.ts';
import { PayloadNameSchema, PayloadViewSchema } from '../../services/conditions/support/schemas.ts';
import { payloadFileName } from '../../domain/localdb-format.ts';
import { MANAGER, notModified, sendNotModified } from './conditions-common.ts';

const NameParams = z.object({ name: PayloadNameSchema });
const RevisionParams = z.object({ name: PayloadNameSchema, revision: textInt(1, MAX_ID) });

/** md5 the client sent: X-Checksum-Md5 (hex) or Content-MD5 (base64, RFC 1864). */
function clientMd5(req: Request): string | undefined {
  const hex = req.header('x-checksum-md5');
  if (hex) {
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new DomainError('INVALID_INPUT', 'X-Checksum-Md5 must be 32 hex digits', [{ path: 'headers.x-checksum-md5', message: 'not an md5' }]);
    return hex.toLowerCase();
  }
  const b64 = req.header('content-md5');
  if (b64) {
    const buf = Buffer.from(b64, 'base64');
    if (buf.length !== 16) throw new DomainError('INVALID_INPUT', 'Content-MD5 must be a base64 md5', [{ path: 'headers.content-md5', message: 'not an md5' }]);
    return buf.toString('hex');
  }
  return undefined;
}

/** The upload stream: the raw body, or the first file of a multipart form (as `curl -F file=@x.root` sends it). */
function uploadStream(req: Request): Promise<Readable> {
  if (!/^multipart\/form-data/i.test(req.header('content-type') ?? '')) return Promise.resolve(req);
  return new Promise((resolve, reject) => {
    const bb = busboy({ headers: req.headers, limits: { files: 1 } });
    let got = false;
    bb.on('file', (_field, file) => {
      got = true;
      resolve(file);
    });
    bb.on('error', reject);
    bb.on('close', () => {
      if (!got) reject(new DomainError('INVALID_INPUT', 'the multipart form holds no file', [{ path: 'body', message: 'no file part' }]));
    });
    req.pipe(bb);
  });
}

export function registerConditionsPayloadRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/payloads/:name',
      tag: 'conditions',
      summary: 'Upload a payload (streamed); identical bytes under the same name return the existing revision',
      description:
        'Body: the payload bytes (application/octet-stream), or a multipart form with one file. Send X-Checksum-Md5 (hex) or Content-MD5 to have the server verify the bytes. 201 when a new revision was created, 200 when the bytes were already stored under this name.',
      auth: MANAGER,
      params: NameParams,
      query: z.object({ reason: z.string().max(2000).optional() }),
      rawBody: { contentType: 'application/octet-stream' },
      status: 201,
      response: PayloadViewSchema.extend({ created: z.boolean() }),
    },
    async ({ req, res, params, query, actor }) => {
      const type = req.header('content-type') ?? '';
      if (/^application\/(.+\+)?json/i.test(type) || /^application\/x-www-form-urlencoded/i.test(type)) {
        // such bodies are parsed (consumed) before the route: the bytes would be lost
        throw new DomainError('INVALID_INPUT', 'send the payload bytes as application/octet-stream (or a multipart form with one file)', [
          { path: 'headers.content-type', message: `${type} is not accepted for payload bytes` },
        ]);
      }
      const encoding = req.header('content-encoding');
      if (encoding && encoding.trim().toLowerCase() !== 'identity') {
        // the bytes are stored as sent: a compressed body would become a different payload than the client meant
        throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `send the payload bytes without Content-Encoding (got ${encoding})`, [{ path: 'headers.content-encoding', message: 'not accepted' }]);
      }
      const declared = Number(req.header('content-length') ?? NaN);
      if (declared > deps.config.maxPayloadBytes) {
        throw new DomainError('PAYLOAD_TOO_LARGE', `payload of ${declared} bytes is larger than the limit of ${deps.config.maxPayloadBytes}`);
      }
      const expectedMd5 = clientMd5(req);
      const source = await uploadStream(req);
      const result = await uploadPayload(deps, actor!, { name: params.name, source, expectedMd5, reason: query.reason });
      res.status(result.created ? 201 : 200).json(result);
    },
  );

  defineRoute(
    tools,
    {
      method: 'get',
      path: '/payloads',
      tag: 'conditions',
      summary: 'Payload names with their number of revisions',
      auth: 'public',
      query: z.object({ prefix: z.string().max(128).optional(), limit: textInt(1, 10_000).default(1000) }),
      response: z.array(z.object({ name: z.string(), revisions: z.number(), latest: z.number() })),
    },
    async ({ query }) => listPayloadNames(deps, query),
  );

  defineRoute(
    tools,
    {
      method: 'get',
      path: '/payloads/:name',
      tag: 'conditions',
      summary: 'All revisions of a payload name',
      auth: 'public',
      params: NameParams,
      response: z.array(PayloadViewSchema),
    },
    async ({ params }) => listPayloadRevisions(deps, params.name),
  );

  defineRoute(
    tools,
    {
      method: 'get',
      path: '/payloads/:name/:revision',
      tag: 'conditions',
      summary: 'One payload revision: checksums, size, download URL',
      auth: 'public',
      params: RevisionParams,
      response: PayloadViewSchema,
    },
    async ({ params }) => showPayload(deps, params.name, params.revision),
  );

  defineRoute(
    tools,
    {
      method: 'get',
      path: '/payloads/:name/:revision/file',
      tag: 'conditions',
      summary: 'Download the payload bytes, with checksum headers (cacheable forever)',
      description: 'Headers: ETag "<sha256>", X-Checksum-Md5, X-Checksum-Sha256, Content-MD5, Digest (sha-256), Cache-Control immutable. If-None-Match answers 304.',
      auth: 'public',
      params: RevisionParams,
      response: PayloadFileSchema,
      responseContentType: 'application/octet-stream',
    },
    async ({ req, res, params }) => sendPayloadFile(deps, req, res, params.name, params.revision),
  );
}

/** The payload bytes with checksum headers; the same for every door (/api/v1 and the Belle II /v2 file layout). */
export async function sendPayloadFile(deps: Deps, req: Request, res: Response, name: string, revision: number): Promise<void> {
  const payload = await showPayload(deps, name, revision);
  const headers = {
    ETag: `"${payload.sha256}"`,
    'Cache-Control': 'public, max-age=31536000, immutable',
    'X-Checksum-Md5': payload.md5,
    'X-Checksum-Sha256': payload.sha256,
  };
  if (notModified(req, [headers.ETag])) return sendNotModified(res, headers);
  const { stream } = await openPayloadContent(deps, name, revision);
  res.status(200);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(payload.size));
  res.setHeader('Content-MD5', Buffer.from(payload.md5, 'hex').toString('base64'));
  res.setHeader('Digest', `sha-256=${Buffer.from(payload.sha256, 'hex').toString('base64')}`);
  res.setHeader('Content-Disposition', `attachment; filename="${payloadFileName(payload.name, payload.revision)}"`);
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  });
}
