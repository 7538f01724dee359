/**
 * Fix windows, fixes and blessing (issue 6). Handlers only call the loop's services.
 */
import { z } from 'zod';
import { IdText } from '../../domain/strict-input.ts';
import { BucketNameSchema, PayloadNameSchema } from '../../services/conditions/support/schemas.ts';
import type { Deps } from '../../deps.ts';
import { defineRoute, type RouteTools } from '../route.ts';
import { listWindows, showWindow } from '../../services/loop/windows.ts';
import { extendWindow } from '../../services/loop/extend-window.ts';
import { closeWindowEarly } from '../../services/loop/close-window-early.ts';
import { uploadFix } from '../../services/loop/upload-fix.ts';
import { decideFix } from '../../services/loop/decide-fix.ts';
import { blessBucket } from '../../services/loop/bless.ts';
import { DETECTORS } from '../../domain/roles.ts';

const BucketParam = z.object({ bucket: BucketNameSchema });
const IdParam = z.object({ id: IdText });
const Reason = z.string().trim().min(1, 'required').max(2000);

const ExtendBody = z
  .object({
    hours: z.number().positive().max(24 * 90).optional().describe('hours added to the current deadline'),
    until: z.string().datetime({ offset: true }).optional().describe('new deadline (ISO time), later than the current one'),
    reason: Reason.describe('why the experts get more time (audited)'),
  })
  .refine((b) => (b.hours === undefined) !== (b.until === undefined), { message: 'give exactly one of hours, until', path: ['hours'] });

const FixBody = z.object({
  name: PayloadNameSchema.describe('payload name, e.g. ECLCrystalEnergyScale'),
  iov: z
    .object({ firstExp: z.number().int().min(0), firstRun: z.number().int().min(0), finalExp: z.number().int().min(-1), finalRun: z.number().int().min(-1) })
    .describe("closed IoV inside the bucket's runs"),
  reason: Reason.describe('what the fix corrects (audited)'),
  contentBase64: z.string().min(1).describe('the payload file, base64'),
  detector: z.enum(DETECTORS).optional().describe('only for a payload no configured calibration produces'),
});

const WindowSchema = z.object({}).passthrough().describe('fix window');

export function registerLoopWindowRoutes(tools: RouteTools, deps: Deps): void {
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/windows',
      tag: 'fix windows',
      summary: 'List fix windows, newest first',
      auth: 'authenticated',
      query: z.object({ state: z.enum(['open', 'closed']).optional() }),
      response: z.array(WindowSchema),
    },
    async ({ query }) => listWindows(deps, query),
  );
  defineRoute(
    tools,
    {
      method: 'get',
      path: '/windows/:bucket',
      tag: 'fix windows',
      summary: "A bucket's fix window with its fixes",
      auth: 'authenticated',
      params: BucketParam,
      response: WindowSchema,
    },
    async ({ params }) => showWindow(deps, params.bucket),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/windows/:bucket/extend',
      tag: 'fix windows',
      summary: 'Extend an open fix window (calibration manager, with a reason)',
      auth: ['calibration_manager'],
      params: BucketParam,
      body: ExtendBody,
      response: WindowSchema,
    },
    async ({ params, body, actor }) => extendWindow(deps, actor!, params.bucket, body),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/windows/:bucket/close',
      tag: 'fix windows',
      summary: 'Close an open fix window before its deadline (calibration manager, with a reason)',
      auth: ['calibration_manager'],
      params: BucketParam,
      body: z.object({ reason: Reason }),
      response: WindowSchema,
    },
    async ({ params, body, actor }) => closeWindowEarly(deps, actor!, params.bucket, body),
  );
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/windows/:bucket/fixes',
      tag: 'fix windows',
      summary: "Upload a fix (a corrected payload for the bucket's runs) during the fix window",
      description:
        'Detector experts for their own detectors only; the IoV must lie inside the bucket; refused after the window closes. ' +
        'The fix waits for the calibration manager; an approved fix goes into the auxiliary fixing tag.',
      auth: ['detector_expert', 'calibration_manager'],
      params: BucketParam,
      body: FixBody,
      status: 201,
      response: z.object({}).passthrough(),
    },
    async ({ params, body, actor }) =>
      uploadFix(deps, actor!, {
        bucket: params.bucket,
        name: body.name,
        iov: body.iov,
        reason: body.reason,
        detector: body.detector,
        content: Buffer.from(body.contentBase64, 'base64'),
      }),
  );
  for (const decision of ['approve', 'reject'] as const) {
    defineRoute(
      tools,
      {
        method: 'post',
        path: `/fixes/:id/${decision}`,
        tag: 'fix windows',
        summary: decision === 'approve' ? 'Approve a fix: it goes into the auxiliary fixing tag' : 'Reject a fix',
        auth: ['calibration_manager'],
        params: IdParam,
        body: z.object({ comment: z.string().max(2000).optional() }),
        response: z.object({}).passthrough(),
      },
      async ({ params, body, actor }) => decideFix(deps, actor!, params.id, { decision, comment: body.comment }),
    );
  }
  defineRoute(
    tools,
    {
      method: 'post',
      path: '/buckets/:bucket/bless',
      tag: 'blessing',
      summary: "Bless a bucket's final tag (PUBLISHED) and create its reprocessing campaign",
      description: 'Refused while the fix window is open, before the final tag is assembled, and when the bucket was already blessed.',
      auth: ['calibration_manager'],
      params: BucketParam,
      body: z.object({
        comment: z.string().max(2000).optional(),
        requirements: z
          .object({
            runTypes: z.array(z.string().min(1)).min(1).optional(),
            requireGood: z.array(z.string().min(1)).optional(),
            acceptUgly: z.boolean().optional(),
          })
          .optional()
          .describe("the campaign's run requirements (default: config/reprocessing.yaml)"),
      }),
      response: z.object({}).passthrough(),
    },
    async ({ params, body, actor }) => blessBucket(deps, actor!, params.bucket, body),
  );
}
