/**
 * Runs and run sources. Reads need any token (production bookkeeping is not public like conditions); importing and
 * polling are for the data-production manager.
 */
import { z } from 'zod';
import { MAX_EXP, MAX_RUN } from '../../domain/iov.ts';
import { MAX_ID, TextBool, textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { RunCompletenessSchema, RunDetailSchema, RunListImportSchema, RunSourceItemSchema, RunSourcePollSchema, RunSummarySchema } from '../response-schemas.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { RunListSchema } from '../../domain/run-list.ts';
import { importRuns } from '../../services/runs/import-runs.ts';
import { listRuns, listRunSourceItems, showRun } from '../../services/runs/query-runs.ts';
import { pollRunSources } from '../../services/runs/poll-run-sources.ts';
import { runCompleteness } from '../../services/production/completeness.ts';

const MANAGERS = ['data_production_manager'] as const;
const RunParams = z.object({ exp: textInt(0, MAX_EXP), run: textInt(0, MAX_RUN) });
const bool = TextBool.optional();

export function registerProductionRunRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/runs',
      tag: 'runs',
      summary: 'List runs (filters: exp, run range, bucket, type, flagged)',
      auth: 'authenticated',
      query: z.object({
        exp: textInt(0, MAX_EXP).optional(),
        fromRun: textInt(0, MAX_RUN).optional(),
        toRun: textInt(0, MAX_RUN).optional(),
        bucket: z.string().optional(),
        type: z.string().optional(),
        flagged: bool,
        limit: textInt(1, 10_000).optional(),
        offset: textInt(0, MAX_ID).optional(),
      }),
      response: z.array(RunSummarySchema),
    },
    async ({ query }) => listRuns(deps, query),
  );
  defineRoute(
    tools,
    { method: 'get', path: '/runs/:exp/:run', tag: 'runs', summary: 'One run with its raw files', auth: 'authenticated', params: RunParams, response: RunDetailSchema },
    async ({ params }) => showRun(deps, params.exp, params.run),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/runs/:exp/:run/completeness',
      tag: 'runs',
      summary: 'Is the run complete for each production step, and what is missing (with reasons)',
      auth: 'authenticated',
      params: RunParams,
      query: z.object({ step: z.string().optional() }),
      response: RunCompletenessSchema,
    },
    async ({ params, query }) => runCompleteness(deps, params.exp, params.run, query.step),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/runs/import',
      tag: 'runs',
      summary: 'Import a run list (docs/contracts.md format); all or nothing',
      auth: MANAGERS,
      body: RunListSchema,
      status: 200,
      response: RunListImportSchema,
    },
    async ({ body, actor }) => importRuns(deps, actor!, body),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/run-sources',
      tag: 'runs',
      summary: 'What the run sources read: one entry per run-list file or HTTP poll, with what was wrong',
      auth: 'authenticated',
      query: z.object({ source: z.string().optional(), status: z.enum(['ok', 'error']).optional(), limit: textInt(1, 5000).optional() }),
      response: z.array(RunSourceItemSchema),
    },
    async ({ query }) => listRunSourceItems(deps, query),
  );
  defineRoute(
    tools,
    { method: 'post', path: '/run-sources/poll', tag: 'runs', summary: 'Poll the run sources now', auth: MANAGERS, status: 200, response: RunSourcePollSchema },
    async () => ({ items: await pollRunSources(deps) }),
  );
}
