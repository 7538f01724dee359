/** Reads of payloads: one revision, all revisions of a name, names, and the bytes for download. */
import type { Readable } from 'node:stream';
import type { Deps } from '../../deps.ts';
import { DomainError } from '../../domain/errors.ts';
import { findPayload, payloadView, type PayloadRow, type PayloadView } from './support/payloads.ts';

export async function showPayload(deps: Deps, name: string, revision: number): Promise<PayloadView> {
  return payloadView(await findPayload(deps.prisma, name, revision));
}

export async function listPayloadRevisions(deps: Deps, name: string): Promise<PayloadView[]> {
  const rows = await deps.prisma.$queryRaw<PayloadRow[]>`SELECT * FROM "Payload" WHERE name = ${name} ORDER BY revision`;
  if (!rows.length) throw new DomainError('NOT_FOUND', `payload ${name} not found`);
  return rows.map(payloadView);
}

export async function listPayloadNames(deps: Deps, q: { prefix?: string; limit?: number }): Promise<Array<{ name: string; revisions: number; latest: number }>> {
  const prefix = `${(q.prefix ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return deps.prisma.$queryRaw`SELECT name, count(*)::int AS revisions, max(revision)::int AS latest FROM "Payload"
    WHERE name LIKE ${prefix} GROUP BY name ORDER BY name LIMIT ${q.limit ?? 1000}`;
}

export interface PayloadContent {
  payload: PayloadView;
  stream: Readable;
}

export async function openPayloadContent(deps: Deps, name: string, revision: number): Promise<PayloadContent> {
  const row = await findPayload(deps.prisma, name, revision);
  if (!(await deps.payloadStore.exists(row.storageKey))) {
    deps.logger.error('payload content missing from the store', { name, revision, storageKey: row.storageKey });
    throw new DomainError('UNAVAILABLE', `the content of payload ${name} revision ${revision} is missing from the payload store`);
  }
  return { payload: payloadView(row), stream: deps.payloadStore.open(row.storageKey) };
}

/** Payloads already stored, looked up by (name, md5) as Belle II clients ask before uploading; unknown pairs are left out. */
export async function findPayloadsByChecksum(deps: Pick<Deps, 'prisma'>, pairs: ReadonlyArray<{ name: string; checksum: string }>): Promise<PayloadRow[]> {
  if (!pairs.length) return [];
  const names = pairs.map((p) => p.name);
  const sums = pairs.map((p) => p.checksum.toLowerCase());
  return deps.prisma.$queryRaw<PayloadRow[]>`SELECT DISTINCT p.* FROM "Payload" p
    JOIN unnest(${names}::text[], ${sums}::text[]) AS u(name, md5) ON p.name = u.name AND p.md5 = u.md5
    ORDER BY p.name, p.revision`;
}
