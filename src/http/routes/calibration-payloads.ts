/** Payload candidates: the manager's worklist and decisions (one by one or per bucket). */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { ListCandidatesQuerySchema, listCandidates } from '../../services/calibration/list-candidates.ts';
import { approvePayloads } from '../../services/calibration/approve-payloads.ts';
import { rejectPayloads } from '../../services/calibration/reject-payloads.ts';
import { DecidePayloadsSchema } from '../../services/calibration/decide-payloads.ts';
import { CandidateViewSchema } from '../../services/calibration/candidate-view.ts';

export function registerCalibrationPayloadRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/payload-candidates',
      tag: 'calibration',
      summary: 'Payload candidates (default: pending) with their metrics and change w.r.t. the running tag',
      auth: 'authenticated',
      query: ListCandidatesQuerySchema,
      response: z.array(CandidateViewSchema),
    },
    async ({ query }) => listCandidates(deps, query),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/payload-candidates/approve',
      tag: 'calibration',
      summary: 'Approve payload candidates (ids, or every pending one of a bucket); stopped-at-bound ones need a comment',
      auth: ['calibration_manager'],
      body: DecidePayloadsSchema,
      response: z.array(CandidateViewSchema),
    },
    async ({ body, actor }) => approvePayloads(deps, actor!, body),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/payload-candidates/reject',
      tag: 'calibration',
      summary: 'Reject payload candidates with a comment; the calibration returns to its detector expert',
      auth: ['calibration_manager'],
      body: DecidePayloadsSchema,
      response: z.array(CandidateViewSchema),
    },
    async ({ body, actor }) => rejectPayloads(deps, actor!, body),
  );
}
