/**
 * The multipart/mixed body `b2conditionsdb upload` sends for a new payload: urllib3's `encode_multipart_formdata`
 * with the content type's subtype replaced, two parts, each with `Content-Disposition: form-data; name="..."` and a
 * `Content-Type`: the payload file (`application/x-root`, named by its file path) and `json` (`application/json`,
 * `{"checksum": <md5>, "isDefault": false}`). Busboy only reads multipart/form-data and would take a part without a
 * file name as a text field, so this small reader splits the (bounded) body itself.
 */
import type { IncomingMessage } from 'node:http';
import { DomainError, invalid } from '../../domain/errors.ts';

export interface MimePart {
  headers: Record<string, string>;
  /** the `name` of its Content-Disposition */
  name: string | undefined;
  contentType: string;
  data: Buffer;
}

export function boundaryOf(contentType: string | undefined): string {
  const m = /^multipart\/(?:mixed|form-data)\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '');
  if (!m) {
    throw invalid('the payload upload must be multipart/mixed with a boundary (as b2conditionsdb sends it)', [
      { path: 'headers.content-type', message: `got ${contentType ?? 'nothing'}` },
    ]);
  }
  return m[1] ?? m[2];
}

/** Reads the whole body, refusing more than `maxBytes` (413) without buffering beyond it. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) throw new DomainError('PAYLOAD_TOO_LARGE', `upload of ${declared} bytes is larger than the limit of ${maxBytes}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > maxBytes) {
      req.resume();
      throw new DomainError('PAYLOAD_TOO_LARGE', `upload larger than the limit of ${maxBytes} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks, size);
}

export function parseMultipart(body: Buffer, boundary: string): MimePart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const bad = (message: string) => invalid(`malformed multipart body: ${message}`, [{ path: 'body', message }]);
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw bad('no boundary line');
  const parts: MimePart[] = [];
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    if (body.subarray(pos, pos + 2).toString() !== '\r\n') throw bad('boundary line not followed by CRLF');
    pos += 2;
    const headEnd = body.indexOf('\r\n\r\n', pos);
    if (headEnd < 0) throw bad('part without header end');
    const headers: Record<string, string> = {};
    for (const line of body.subarray(pos, headEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw bad(`header line "${line.slice(0, 60)}"`);
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headEnd + 4);
    if (next < 0) throw bad('part not closed by a boundary');
    const disposition = headers['content-disposition'] ?? '';
    const name = /\bname="((?:[^"\\]|\\.)*)"/.exec(disposition)?.[1];
    parts.push({ headers, name, contentType: (headers['content-type'] ?? 'text/plain').toLowerCase(), data: body.subarray(headEnd + 4, next) });
    pos = next + 2;
    if (parts.length > 16) throw bad('more than 16 parts');
  }
  return parts;
}
