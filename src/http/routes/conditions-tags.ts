/**
 * Global tag endpoints: list, show, create, rename/describe, clone, state, first condition-safe run, history,
 * snapshot, running update, merge and diff. Reads are anonymous; changes need the roles listed in conditions-common.ts.
 */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { RunningUpdateSummarySchema, TagDiffSchema, TagHistorySchema } from '../response-schemas.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { AsOfSchema, ReasonSchema, RunningUpdateModeSchema, RunPointSchema, TagNameSchema, TagStateSchema, TagTypeSchema, TagViewSchema } from '../../services/conditions/support/schemas.ts';
import { listTags, ListTagsQuerySchema, showTag } from '../../services/conditions/list-tags.ts';
import { createTag, CreateTagSchema } from '../../services/conditions/create-tag.ts';
import { renameTag } from '../../services/conditions/rename-tag.ts';
import { setTagDescription } from '../../services/conditions/describe-tag.ts';
import { cloneTag } from '../../services/conditions/clone-tag.ts';
import { setTagState } from '../../services/conditions/set-tag-state.ts';
import { setFirstConditionSafeRun } from '../../services/conditions/set-fcsr.ts';
import { tagHistory, TagHistoryQuerySchema } from '../../services/conditions/tag-history.ts';
import { snapshotTag } from '../../services/conditions/snapshot-tag.ts';
import { runningUpdate } from '../../services/conditions/running-update.ts';
import { mergeTags, MergeSourceSchema } from '../../services/conditions/merge-tags.ts';
import { diffTags, DiffTagsSchema } from '../../services/conditions/diff-tags.ts';
import { MANAGER } from './conditions-common.ts';

const TagParams = z.object({ name: TagNameSchema });

export function registerConditionsTagRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    { method: 'get', path: '/tags', tag: 'conditions', summary: 'List global tags with their IoV counts', auth: 'public', query: ListTagsQuerySchema, response: z.array(TagViewSchema) },
    async ({ query }) => listTags(deps, query),
  );

  defineRoute(
    tools,
    { method: 'post', path: '/tags', tag: 'conditions', summary: 'Create a global tag (OPEN)', auth: MANAGER, body: CreateTagSchema, status: 201, response: TagViewSchema },
    async ({ body, actor }) => createTag(deps, actor!, body),
  );

  defineRoute(
    tools,
    { method: 'get', path: '/tags/:name', tag: 'conditions', summary: 'One global tag: state, type, FCSR, counts, next possible states', auth: 'public', params: TagParams, response: TagViewSchema },
    async ({ params }) => showTag(deps, params.name),
  );

  defineRoute(
    tools,
    {
      method: 'patch',
      path: '/tags/:name',
      tag: 'conditions',
      summary: 'Rename a tag (OPEN, TESTING, VALIDATED only) and/or change its description',
      auth: MANAGER,
      params: TagParams,
      body: z
        .object({ newName: TagNameSchema.optional(), description: z.string().max(10_000).optional(), reason: ReasonSchema })
        .refine((b) => b.newName !== undefined || b.description !== undefined, { message: 'give newName and/or description', path: ['newName'] }),
      response: TagViewSchema,
    },
    async ({ params, body, actor }) => {
      let view = body.description !== undefined ? await setTagDescription(deps, actor!, { name: params.name, description: body.description }) : undefined;
      if (body.newName !== undefined) view = await renameTag(deps, actor!, { name: params.name, newName: body.newName, reason: body.reason });
      return view;
    },
  );

  defineRoute(
    tools,
    {
      method: 'post',
      path: '/tags/:name/clone',
      tag: 'conditions',
      summary: 'Clone a tag into a new OPEN tag (its IoVs now, or as of a time)',
      auth: MANAGER,
      params: TagParams,
      body: z.object({ name: TagNameSchema, type: TagTypeSchema.optional(), description: z.string().max(10_000).optional(), asOf: AsOfSchema, reason: ReasonSchema }),
      status: 201,
      response: TagViewSchema.extend({ copied: z.number() }),
    },
    async ({ params, body, actor }) => cloneTag(deps, actor!, { ...body, source: params.name }),
  );

  defineRoute(
    tools,
    {
      method: 'post',
      path: '/tags/:name/state',
      tag: 'conditions',
      summary: 'Change the state of a tag along the transition table (PUBLISHED and INVALID cannot be undone)',
      auth: MANAGER,
      params: TagParams,
      body: z.object({ state: TagStateSchema, reason: ReasonSchema, expectedState: TagStateSchema.optional() }),
      response: TagViewSchema,
    },
    async ({ params, body, actor }) => setTagState(deps, actor!, { ...body, name: params.name }),
  );

  defineRoute(
    tools,
    {
      method: 'put',
      path: '/tags/:name/fcsr',
      tag: 'conditions',
      summary: 'Record the first condition-safe run (running updates below it are refused; it only moves forward unless force)',
      auth: MANAGER,
      params: TagParams,
      body: RunPointSchema.extend({ force: z.boolean().default(false), reason: ReasonSchema }),
      response: TagViewSchema,
    },
    async ({ params, body, actor }) => setFirstConditionSafeRun(deps, actor!, { ...body, tag: params.name }),
  );

  defineRoute(
    tools,
    {
      method: 'get',
      path: '/tags/:name/history',
      tag: 'conditions',
      summary: 'Append-only history of a tag, newest first (IoV inserts, closes, extends, state changes, ...)',
      auth: 'public',
      params: TagParams,
      query: TagHistoryQuerySchema,
      response: TagHistorySchema,
    },
    async ({ params, query }) => tagHistory(deps, params.name, query),
  );

  defineRoute(
    tools,
    {
      method: 'post',
      path: '/tags/:name/snapshot',
      tag: 'conditions',
      summary: 'PUBLISHED copy of a tag, named explicitly or by the snapshot pattern for a bucket',
      auth: MANAGER,
      params: TagParams,
      body: z
        .object({ name: TagNameSchema.optional(), bucket: z.string().max(64).optional(), description: z.string().max(10_000).optional(), asOf: AsOfSchema, reason: ReasonSchema })
        .refine((v) => Boolean(v.name) !== Boolean(v.bucket), { message: 'give either name or bucket', path: ['name'] }),
      status: 201,
      response: TagViewSchema.extend({ copied: z.number() }),
    },
    async ({ params, body, actor }) => snapshotTag(deps, actor!, { ...body, source: params.name }),
  );

  defineRoute(
    tools,
    {
      method: 'post',
      path: '/tags/:name/runningupdate',
      tag: 'conditions',
      summary: 'Apply a VALIDATED staging tag to this RUNNING tag from a first valid run on (atomically)',
      description:
        'Modes: strict (default), allow-closed, fix-closed, full-replacement. A refused update changes nothing and answers 422 with details.violations: each names the rule and the IoV that broke it. dryRun: plan only.',
      auth: MANAGER,
      params: TagParams,
      body: z.object({ staging: TagNameSchema, firstValid: RunPointSchema, mode: RunningUpdateModeSchema.default('strict'), reason: ReasonSchema, dryRun: z.boolean().default(false) }),
      response: RunningUpdateSummarySchema,
    },
    async ({ params, body, actor }) => runningUpdate(deps, actor!, { ...body, running: params.name }),
  );

  defineRoute(
    tools,
    {
      method: 'post',
      path: '/merge',
      tag: 'conditions',
      summary: 'Merge tags by priority into a new OPEN tag: merge A B C -> D, later tags only fill gaps',
      auth: MANAGER,
      body: z.object({
        sources: z.array(MergeSourceSchema).min(1).max(20),
        target: TagNameSchema,
        type: TagTypeSchema.default('release'),
        description: z.string().max(10_000).optional(),
        asOf: AsOfSchema,
        reason: ReasonSchema,
      }),
      status: 201,
      response: TagViewSchema.extend({ merged: z.number(), sources: z.array(z.string()) }),
    },
    async ({ body, actor }) => mergeTags(deps, actor!, body),
  );

  defineRoute(
    tools,
    {
      method: 'get',
      path: '/diff',
      tag: 'conditions',
      summary: 'Diff of two tags, or of one tag at two times: added / removed / changed entries',
      auth: 'public',
      query: DiffTagsSchema,
      response: TagDiffSchema,
    },
    async ({ query }) => diffTags(deps, query),
  );

}
