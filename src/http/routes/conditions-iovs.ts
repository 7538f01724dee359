/** IoV endpoints of a tag: list (now or as of a time), add, bulk add, modify, delete, and local-database import. */
import { z } from 'zod';
import { MAX_ID, textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { AddedIovsSchema, ImportedLocalDbSchema, TagIovsSchema } from '../response-schemas.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { IovSchema, IovViewSchema, ReasonSchema, TagNameSchema, TagTypeSchema, PayloadNameSchema } from '../../services/conditions/support/schemas.ts';
import { listTagIovs, ListIovsQuerySchema } from '../../services/conditions/list-iovs.ts';
import { addIov, addIovs, BULK_IOV_BODY_LIMIT_BYTES, BULK_IOV_MAX_ENTRIES, IovEntrySchema } from '../../services/conditions/add-iov.ts';
import { modifyIov } from '../../services/conditions/modify-iov.ts';
import { deleteIov } from '../../services/conditions/delete-iov.ts';
import { importLocalDbEntries } from '../../services/conditions/import-localdb.ts';
import { MANAGER } from './conditions-common.ts';

const TagParams = z.object({ name: TagNameSchema });
const IovParams = z.object({ name: TagNameSchema, id: textInt(1, MAX_ID) });

export function registerConditionsIovRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/tags/:name/iovs',
      tag: 'conditions',
      summary: 'IoVs of a tag, now or as of a time (?asOf=), optionally of one payload or covering one run',
      auth: 'public',
      params: TagParams,
      query: ListIovsQuerySchema,
      response: TagIovsSchema,
    },
    async ({ params, query }) => listTagIovs(deps, params.name, query),
  );

  defineRoute(
    tools,
    {
      method: 'post',
      path: '/tags/:name/iovs',
      tag: 'conditions',
      summary: 'Add one IoV to an OPEN tag (overlaps of one payload name are refused unless allowOverlap)',
      auth: MANAGER,
      params: TagParams,
      body: IovEntrySchema.extend({ allowOverlap: z.boolean().default(false), reason: ReasonSchema }),
      status: 201,
      response: IovViewSchema,
    },
    async ({ params, body, actor }) => addIov(deps, actor!, { ...body, tag: params.name }),
  );

  defineRoute(
    tools,
    {
      method: 'post',
      path: '/tags/:name/iovs/bulk',
      tag: 'conditions',
      summary: 'Add many IoVs to an OPEN tag in one transaction (all or nothing)',
      description: `At most ${BULK_IOV_MAX_ENTRIES} entries and ${BULK_IOV_BODY_LIMIT_BYTES} bytes of JSON (enough for that many entries in compact JSON); larger bodies answer 413.`,
      auth: MANAGER,
      params: TagParams,
      body: z.object({ entries: z.array(IovEntrySchema).min(1).max(BULK_IOV_MAX_ENTRIES), allowOverlap: z.boolean().default(false), reason: ReasonSchema }),
      bodyLimitBytes: BULK_IOV_BODY_LIMIT_BYTES,
      status: 201,
      response: AddedIovsSchema,
    },
    async ({ params, body, actor }) => addIovs(deps, actor!, { ...body, tag: params.name }),
  );

  defineRoute(
    tools,
    {
      method: 'patch',
      path: '/tags/:name/iovs/:id',
      tag: 'conditions',
      summary: 'Change the interval of an IoV of an OPEN tag (the old row is kept for as-of reads; the answer has the new id)',
      auth: MANAGER,
      params: IovParams,
      body: z.object({ iov: IovSchema, allowOverlap: z.boolean().default(false), reason: ReasonSchema }),
      response: IovViewSchema.extend({ replaces: z.number() }),
    },
    async ({ params, body, actor }) => modifyIov(deps, actor!, { ...body, tag: params.name, id: params.id }),
  );

  defineRoute(
    tools,
    {
      method: 'delete',
      path: '/tags/:name/iovs/:id',
      tag: 'conditions',
      summary: 'Remove an IoV from an OPEN tag (kept in the history and for as-of reads)',
      auth: MANAGER,
      params: IovParams,
      query: z.object({ reason: z.string().max(2000).default('') }),
      response: IovViewSchema,
    },
    async ({ params, query, actor }) => deleteIov(deps, actor!, { tag: params.name, id: params.id, reason: query.reason }),
  );

  defineRoute(
    tools,
    {
      method: 'post',
      path: '/tags/:name/import',
      tag: 'conditions',
      summary: 'Import the lines of a basf2 database.txt (payloads uploaded first; later lines win) into an OPEN tag',
      description: `At most ${BULK_IOV_MAX_ENTRIES} lines and ${BULK_IOV_BODY_LIMIT_BYTES} bytes of JSON; larger bodies answer 413.`,
      auth: MANAGER,
      params: TagParams,
      bodyLimitBytes: BULK_IOV_BODY_LIMIT_BYTES,
      body: z.object({
        lines: z.array(z.object({ name: PayloadNameSchema, revision: z.number().int().min(1).max(MAX_ID), iov: IovSchema })).min(1).max(BULK_IOV_MAX_ENTRIES),
        create: TagTypeSchema.optional().describe('create the tag with this type when it does not exist'),
        reason: ReasonSchema,
      }),
      status: 201,
      response: ImportedLocalDbSchema,
    },
    async ({ params, body, actor }) => importLocalDbEntries(deps, actor!, { ...body, tag: params.name }),
  );
}
