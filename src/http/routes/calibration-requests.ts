/** Algorithm requests: detector experts submit for their detectors, the calibration manager decides. */
import { z } from 'zod';
import { MAX_ID, textInt } from '../../domain/strict-input.ts';
import type { Deps } from '../../deps.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { SubmitRequestSchema, submitRequest } from '../../services/requests/submit-request.ts';
import { approveRequest } from '../../services/requests/approve-request.ts';
import { rejectRequest } from '../../services/requests/reject-request.ts';
import { ListRequestsQuerySchema, listRequests, showRequest } from '../../services/requests/list-requests.ts';
import { RequestViewSchema } from '../../services/requests/request-view.ts';

const IdParams = z.object({ id: textInt(1, MAX_ID) });

export function registerCalibrationRequestRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/requests',
      tag: 'calibration',
      summary: 'Submit an algorithm request (calibration, bucket or run range, expert_config overrides, reason)',
      description: 'Detector experts only for their own detectors (403 otherwise, nothing stored).',
      auth: ['detector_expert', 'calibration_manager'],
      body: SubmitRequestSchema,
      status: 201,
      response: RequestViewSchema,
    },
    async ({ body, actor }) => submitRequest(deps, actor!, body),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/requests',
      tag: 'calibration',
      summary: 'List algorithm requests (newest first)',
      auth: 'authenticated',
      query: ListRequestsQuerySchema,
      response: z.array(RequestViewSchema),
    },
    async ({ query }) => listRequests(deps, query),
  );
  defineRoute(
    tools,
    { method: 'get', path: '/requests/:id', tag: 'calibration', summary: 'One algorithm request with its calibration run', auth: 'authenticated', params: IdParams, response: RequestViewSchema.extend({ calibrationRun: z.looseObject({ id: z.number(), state: z.string() }).nullable() }) },
    async ({ params }) => showRequest(deps, params.id),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/requests/:id/approve',
      tag: 'calibration',
      summary: 'Approve a request: a calibration run for its bucket or run range starts waiting',
      auth: ['calibration_manager'],
      params: IdParams,
      body: z.object({ comment: z.string().trim().max(2000).optional() }),
      response: RequestViewSchema,
    },
    async ({ params, body, actor }) => approveRequest(deps, actor!, params.id, body.comment),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/requests/:id/reject',
      tag: 'calibration',
      summary: 'Reject a request, with a comment for the expert',
      auth: ['calibration_manager'],
      params: IdParams,
      body: z.object({ comment: z.string().trim().min(1).max(2000) }),
      response: RequestViewSchema,
    },
    async ({ params, body, actor }) => rejectRequest(deps, actor!, params.id, body.comment),
  );
}
