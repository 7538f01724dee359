/**
 * Reprocessing campaigns and the notification outbox (issue 6). Handlers only call the loop's services.
 */
import { z } from 'zod';
import { IdText, textInt } from '../../domain/strict-input.ts';
import { nameSchema } from '../../domain/names.ts';
import type { Deps } from '../../deps.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { campaignReport, listCampaigns, showCampaign } from '../../services/loop/campaigns.ts';
import { launchCampaign } from '../../services/loop/launch-campaign.ts';
import { abortCampaign } from '../../services/loop/abort-campaign.ts';
import { CreateCampaignSchema, createRangeCampaign } from '../../services/loop/create-campaign.ts';
import { recreateCampaign } from '../../services/loop/recreate-campaign.ts';
import { GoodRunsQuery, goodRuns } from '../../services/loop/good-run-list.ts';
import { listNotifications } from '../../services/loop/list-notifications.ts';
import { campaignLifecycle } from '../../domain/reprocessing.ts';

/** A campaign is addressed by its name or its bucket's name; its id only where the URL says so (/reprocessing/by-id/{id}). */
const Ref = z.object({ campaign: nameSchema('campaign name').describe("the campaign's name, or its bucket's name") });
const Campaign = z.object({}).passthrough().describe('reprocessing campaign');

export function registerLoopReprocessingRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/reprocessing',
      tag: 'reprocessing',
      summary: 'List reprocessing campaigns, newest first',
      auth: 'authenticated',
      query: z.object({ state: z.enum(campaignLifecycle.list as [string, ...string[]]).optional() }),
      response: z.array(Campaign),
    },
    async ({ query }) => listCampaigns(deps, query),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/reprocessing/:campaign',
      tag: 'reprocessing',
      summary: 'A campaign with its run plan',
      auth: 'authenticated',
      params: Ref,
      response: Campaign,
    },
    async ({ params }) => showCampaign(deps, params.campaign),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/reprocessing/by-id/:id',
      tag: 'reprocessing',
      summary: 'A campaign by its id',
      auth: 'authenticated',
      params: z.object({ id: IdText }),
      response: Campaign,
    },
    async ({ params }) => showCampaign(deps, params.id),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/reprocessing/:campaign/report',
      tag: 'reprocessing',
      summary: 'Campaign report: runs done / failed / skipped with reasons, events, tag used',
      auth: 'authenticated',
      params: Ref,
      response: z.object({}).passthrough(),
    },
    async ({ params }) => campaignReport(deps, params.campaign),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/reprocessing/by-id/:id/report',
      tag: 'reprocessing',
      summary: "A campaign's report by its id (an aborted campaign and its re-creation share a name)",
      auth: 'authenticated',
      params: z.object({ id: IdText }),
      response: z.object({}).passthrough(),
    },
    async ({ params }) => campaignReport(deps, params.id),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/reprocessing/:campaign/launch',
      tag: 'reprocessing',
      summary: 'Launch a created campaign (data-production manager)',
      auth: ['data_production_manager'],
      params: Ref,
      body: z.object({}).optional(),
      response: Campaign,
    },
    async ({ params, actor }) => launchCampaign(deps, actor!, params.campaign),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/reprocessing/:campaign/abort',
      tag: 'reprocessing',
      summary: 'Abort a campaign: cancels its jobs; the bucket is marked failed (data-production manager, with a reason)',
      auth: ['data_production_manager'],
      params: Ref,
      body: z.object({ reason: z.string().trim().min(1, 'required').max(2000) }),
      response: Campaign,
    },
    async ({ params, body, actor }) => abortCampaign(deps, actor!, params.campaign, body),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/reprocessing',
      tag: 'reprocessing',
      summary: 'Create a special-processing campaign over a run range across buckets, with a tag chain and release; runs selected from the blessed good-run lists (data-production manager)',
      auth: ['data_production_manager'],
      body: CreateCampaignSchema,
      response: Campaign,
      status: 201,
    },
    async ({ body, actor }) => createRangeCampaign(deps, actor!, body),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/reprocessing/:campaign/recreate',
      tag: 'reprocessing',
      summary: 'Re-create an aborted campaign under its name: same runs, tags, release and requirements; jobs and outputs of its own (data-production manager)',
      auth: ['data_production_manager'],
      params: Ref,
      body: z.strictObject({ reason: z.string().max(2000).optional() }).optional(),
      response: Campaign,
      status: 201,
    },
    async ({ params, body, actor }) => recreateCampaign(deps, actor!, params.campaign, body ?? {}),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/good-runs',
      tag: 'reprocessing',
      summary: "Runs of a tag's blessed good-run lists (GoodRunList payloads) that pass the detector requirements",
      auth: 'authenticated',
      query: GoodRunsQuery,
      response: z.object({}).passthrough(),
    },
    async ({ query }) => goodRuns(deps, query),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/notifications',
      tag: 'reprocessing',
      summary: 'Loop notifications (window opened, closing soon, closed, awaiting blessing, blessed, reprocessing) and their delivery',
      auth: 'authenticated',
      query: z.object({ limit: textInt(1, 1000).default(100) }),
      response: z.array(z.object({}).passthrough()),
    },
    async ({ query }) => listNotifications(deps, query),
  );
}
