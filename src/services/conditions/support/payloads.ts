import type { Db } from '../../../db/transaction.ts';
import { notFound } from '../../../domain/errors.ts';

export interface PayloadRow {
  id: number;
  name: string;
  revision: number;
  md5: string;
  sha256: string;
  size: bigint;
  storageKey: string;
  createdAt: Date;
  createdBy: string;
}

export function payloadUrl(name: string, revision: number): string {
  return `/api/v1/payloads/${encodeURIComponent(name)}/${revision}/file`;
}

export async function findPayload(db: Db, name: string, revision: number): Promise<PayloadRow> {
  const rows = await db.$queryRaw<PayloadRow[]>`SELECT * FROM "Payload" WHERE name = ${name} AND revision = ${revision}`;
  if (!rows.length) throw notFound(`payload ${name} revision ${revision}`);
  return rows[0];
}

/** The newest revision of a name. */
export async function findLatestPayload(db: Db, name: string): Promise<PayloadRow> {
  const rows = await db.$queryRaw<PayloadRow[]>`SELECT * FROM "Payload" WHERE name = ${name} ORDER BY revision DESC LIMIT 1`;
  if (!rows.length) throw notFound(`payload ${name}`);
  return rows[0];
}

export interface PayloadView {
  id: number;
  name: string;
  revision: number;
  md5: string;
  sha256: string;
  size: number;
  url: string;
  createdAt: Date;
  createdBy: string;
}

export function payloadView(p: PayloadRow): PayloadView {
  return {
    id: p.id,
    name: p.name,
    revision: p.revision,
    md5: p.md5,
    sha256: p.sha256,
    size: Number(p.size),
    url: payloadUrl(p.name, p.revision),
    createdAt: p.createdAt,
    createdBy: p.createdBy,
  };
}
