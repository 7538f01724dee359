/** Payload candidates: the manager's worklist and decisions (one by one or per bucket). */
import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { IdText } from '../../domain/strict-input.ts';
import { ImageFileSchema } from '../response-schemas.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { ListCandidatesQuerySchema, listCandidates } from '../../services/calibration/list-candidates.ts';
import { approvePayloads } from '../../services/calibration/approve-payloads.ts';
import { rejectPayloads } from '../../services/calibration/reject-payloads.ts';
import { DecidePayloadsSchema } from '../../services/calibration/decide-payloads.ts';
import { CandidateViewSchema } from '../../services/calibration/candidate-view.ts';
import { CandidateComparisonSchema, candidateComparison, candidateImage } from '../../services/calibration/candidate-comparison.ts';

const CandidateId = z.strictObject({ id: IdText });
const ImageParams = CandidateId.extend({ file: z.string().regex(/^[\w.-]+\.(png|svg|pdf)$/i, 'a PNG, SVG or PDF file name') });

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
      method: 'get',
      path: '/payload-candidates/:id/comparison',
      tag: 'calibration',
      summary: "A candidate's constants against the payload it replaces in the running tag and earlier buckets' approved values",
      auth: 'authenticated',
      params: CandidateId,
      response: CandidateComparisonSchema,
    },
    async ({ params }) => candidateComparison(deps, params.id),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/payload-candidates/:id/images/:file',
      tag: 'calibration',
      summary: 'A validation image (PNG, SVG or PDF) the algorithm wrote into its output directory',
      auth: 'authenticated',
      params: ImageParams,
      response: ImageFileSchema,
      responseContentType: ['image/png', 'image/svg+xml', 'application/pdf'],
    },
    async ({ params, res }) => {
      const image = await candidateImage(deps, params.id, params.file);
      res.setHeader('content-type', image.contentType);
      res.setHeader('content-length', String(image.size));
      // an SVG from an output directory must not run script in the dashboard's origin
      res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
      res.setHeader('x-content-type-options', 'nosniff');
      await new Promise<void>((resolve, reject) => res.sendFile(image.path, (e) => (e ? reject(e) : resolve())));
      return undefined;
    },
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
