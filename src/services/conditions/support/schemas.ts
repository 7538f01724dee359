/**
 * zod schemas shared by the conditions use cases and routes: the same schema validates a request and documents it.
 */
import { z } from 'zod';
import { MAX_EXP, MAX_RUN, validateIov } from '../../../domain/iov.ts';
import { nameSchema } from '../../../domain/names.ts';
import { Instant, TextBool, textInt } from '../../../domain/strict-input.ts';
import { tagLifecycle, TAG_TYPE_LIST, type TagState, type TagType } from '../../../domain/tag-states.ts';
import { RUNNING_UPDATE_MODE_LIST } from '../../../domain/running-update.ts';

export const TagNameSchema = nameSchema('tag name').describe('global tag name');

export const PayloadNameSchema = nameSchema('payload name').describe('payload name (as in dbstore/<name>)');

export const BucketNameSchema = nameSchema('bucket name', 100).describe('bucket name, e.g. e12_bucket1');

export const TagStateSchema = z.enum(tagLifecycle.list as [TagState, ...TagState[]]);
export const TagTypeSchema = z.enum(TAG_TYPE_LIST as [TagType, ...TagType[]]);
export const RunningUpdateModeSchema = z.enum(RUNNING_UPDATE_MODE_LIST as [string, ...string[]]);

export const IovSchema = z
  .object({
    firstExp: z.number().int().min(0).max(MAX_EXP),
    firstRun: z.number().int().min(0).max(MAX_RUN),
    finalExp: z.number().int().min(-1).max(MAX_EXP).describe('-1 with finalRun -1: open-ended'),
    finalRun: z.number().int().min(-1).max(MAX_RUN).describe('-1: all remaining runs of finalExp'),
  })
  .superRefine((i, ctx) => {
    for (const message of validateIov(i)) ctx.addIssue({ code: 'custom', message });
  });

/** A run point in a JSON body: integers, never strings or booleans. */
export const RunPointSchema = z.object({
  exp: z.number().int().min(0).max(MAX_EXP),
  run: z.number().int().min(0).max(MAX_RUN),
});

/** A run point in a query string or path. */
export const RunPointQuery = z.object({
  exp: textInt(0, MAX_EXP),
  run: textInt(0, MAX_RUN),
});

export const ReasonSchema = z.string().max(2000).default('').describe('why: kept in the tag history');

/** A query value that may be repeated (?tag=a&tag=b) or comma-separated (?tag=a,b). */
export const TagListQuery = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(TagNameSchema).min(1).max(20));

export const AsOfSchema = Instant.optional().describe('read the tag as it was at this time (ISO 8601 with a time zone)');

export const TagViewSchema = z.object({
  id: z.number(),
  name: z.string(),
  type: z.string(),
  state: z.string(),
  description: z.string(),
  fcsr: z.object({ exp: z.number(), run: z.number() }).nullable(),
  version: z.number(),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  nextStates: z.array(z.string()),
  iovCount: z.number().optional(),
  payloadNames: z.number().optional(),
});

export const IovViewSchema = z.object({
  id: z.number(),
  name: z.string(),
  revision: z.number(),
  firstExp: z.number(),
  firstRun: z.number(),
  finalExp: z.number(),
  finalRun: z.number(),
  insertedAt: z.string(),
  insertedBy: z.string(),
  removedAt: z.string().nullable().optional(),
  removedBy: z.string().nullable().optional(),
});

export const PayloadViewSchema = z.object({
  id: z.number(),
  name: z.string(),
  revision: z.number(),
  md5: z.string(),
  sha256: z.string(),
  size: z.number(),
  url: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});

/** A boolean in a query string; z.coerce.boolean would read "false" as true. */
export const QueryBool = TextBool;
