/**
 * Jobs: list with filters, show, logs, and the bulk operations (abort, resubmit, priority), each one request whatever
 * the number of jobs. Reads need any token; bulk operations are for the data-production manager.
 */
import { z } from 'zod';
import { IdText, MAX_ID, textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { BulkJobResultSchema, JobDetailSchema, JobListSchema, JobLogSchema } from '../response-schemas.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { JobFilterQuerySchema } from '../../services/jobs/job-filter.ts';
import { listJobs, showJob, jobLogs } from '../../services/jobs/query-jobs.ts';
import { bulkAbort, bulkPriority, bulkResubmit, BulkAbortSchema, BulkPrioritySchema, BulkResubmitSchema } from '../../services/jobs/bulk-jobs.ts';

const MANAGERS = ['data_production_manager'] as const;
const Id = z.object({ id: IdText });

export function registerProductionJobRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/jobs',
      tag: 'jobs',
      summary: 'List jobs (filters: bucket, step, variant, exp, run range, state, error class, ids)',
      auth: 'authenticated',
      query: JobFilterQuerySchema.extend({ limit: textInt(1, 10_000).optional(), offset: textInt(0, MAX_ID).optional() }),
      response: JobListSchema,
    },
    async ({ query }) => listJobs(deps, query),
  );
  defineRoute(
    tools,
    { method: 'get', path: '/jobs/:id', tag: 'jobs', summary: 'One job with its attempts and registered outputs', auth: 'authenticated', params: Id, response: JobDetailSchema },
    async ({ params }) => showJob(deps, params.id),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/jobs/:id/logs',
      tag: 'jobs',
      summary: 'The end of a job attempt log',
      auth: 'authenticated',
      params: Id,
      query: z.object({ attempt: textInt(1, 10_000).optional(), maxBytes: textInt(1, 64 * 1024 * 1024).optional() }),
      response: JobLogSchema,
    },
    async ({ params, query }) => jobLogs(deps, params.id, query),
  );
  defineRoute(
    tools,
    { method: 'post', path: '/jobs/abort', tag: 'jobs', summary: 'Abort every selected job that is not final', auth: MANAGERS, body: BulkAbortSchema, status: 200, response: BulkJobResultSchema },
    async ({ body, actor }) => bulkAbort(deps, actor!, body),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/jobs/resubmit',
      tag: 'jobs',
      summary: 'Resubmit selected failed (or held/cancelled) jobs with more attempts, optionally more memory',
      auth: MANAGERS,
      body: BulkResubmitSchema,
      status: 200,
      response: BulkJobResultSchema,
    },
    async ({ body, actor }) => bulkResubmit(deps, actor!, body),
  );
  defineRoute(
    tools,
    { method: 'post', path: '/jobs/priority', tag: 'jobs', summary: 'Change the priority of selected jobs not yet submitted', auth: MANAGERS, body: BulkPrioritySchema, status: 200, response: BulkJobResultSchema },
    async ({ body, actor }) => bulkPriority(deps, actor!, body),
  );
}
