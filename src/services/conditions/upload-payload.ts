/**
 * Upload a payload: the bytes are streamed into the content-addressed store (md5, sha256 and size computed on the
 * way), then the payload row is created with the next revision of its name. Identical bytes under the same name
 * return the existing payload (dedup by name and checksum), so a retried upload never makes a second revision.
 *
 * Revisions of one name are assigned under a transaction-scoped advisory lock on the name, so parallel uploads of
 * different contents get distinct consecutive revisions and parallel uploads of the same content get one.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Deps } from '../../deps.ts';
import type { Actor } from '../../domain/roles.ts';
import { invalid } from '../../domain/errors.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { PayloadNameSchema } from './support/schemas.ts';
import { inTransaction, type TxOption } from '../../db/transaction.ts';
import { payloadView, type PayloadRow, type PayloadView } from './support/payloads.ts';

export interface UploadPayloadInput {
  name: string;
  source: Readable;
  /** md5 the client computed (hex); a mismatch refuses the upload */
  expectedMd5?: string;
  reason?: string;
}

export interface UploadPayloadResult extends PayloadView {
  /** false when identical bytes were already stored under this name (the existing revision is returned) */
  created: boolean;
}

export async function uploadPayload(deps: Deps, actor: Actor, input: UploadPayloadInput, opts: TxOption = {}): Promise<UploadPayloadResult> {
  const name = PayloadNameSchema.parse(input.name);
  const stored = await deps.payloadStore.put(input.source, { maxBytes: deps.config.maxPayloadBytes });
  if (stored.size === 0) throw invalid('the payload is empty (0 bytes)', [{ path: 'body', message: 'no bytes received' }]);
  if (input.expectedMd5 && input.expectedMd5.toLowerCase() !== stored.md5) {
    // The content stays in the store (it may be someone else's identical payload); an unreferenced file is harmless.
    throw invalid(`checksum mismatch: the client said md5 ${input.expectedMd5}, the server received ${stored.md5} (${stored.size} bytes)`, [
      { path: 'md5', message: 'the upload was corrupted on the way; retry' },
    ]);
  }
  const now = deps.clock.now();
  const result = await inTransaction(deps, async (tx) => {
    await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext(${`payload:${name}`}))) AS l`;
    const existing = await tx.$queryRaw<PayloadRow[]>`SELECT * FROM "Payload" WHERE name = ${name} AND sha256 = ${stored.sha256}`;
    if (existing.length) return { row: existing[0], created: false };
    const rows = await tx.$queryRaw<PayloadRow[]>`INSERT INTO "Payload" (name, revision, md5, sha256, size, "storageKey", "createdAt", "createdBy")
      SELECT ${name}, COALESCE(MAX(revision), 0) + 1, ${stored.md5}, ${stored.sha256}, ${BigInt(stored.size)}, ${stored.storageKey}, ${now}, ${actor.user}
      FROM "Payload" WHERE name = ${name}
      RETURNING *`;
    const row = rows[0];
    await recordAudit(tx, actor, {
      action: 'payload.upload',
      targetType: 'payload',
      targetId: `${name}@${row.revision}`,
      summary: `payload ${name} revision ${row.revision} (${stored.size} bytes, md5 ${stored.md5})`,
      details: { md5: stored.md5, sha256: stored.sha256, size: stored.size, reason: input.reason },
      at: now,
    });
    return { row, created: true };
  }, opts);
  if (result.created) deps.logger.info('payload uploaded', { name, revision: result.row.revision, size: stored.size, user: actor.user });
  return { ...payloadView(result.row), created: result.created };
}

/** For services of later parts (calibration outputs, fixes): upload a file from the local disk. */
export async function uploadPayloadFromFile(
  deps: Deps,
  actor: Actor,
  input: { name: string; path: string; expectedMd5?: string; reason?: string },
  opts: TxOption = {},
): Promise<UploadPayloadResult> {
  const s = await stat(input.path).catch(() => undefined);
  if (!s?.isFile()) throw invalid(`${input.path} is not a readable file`, [{ path: 'path', message: 'no such file' }]);
  return uploadPayload(deps, actor, { name: input.name, source: createReadStream(input.path), expectedMd5: input.expectedMd5, reason: input.reason }, opts);
}
