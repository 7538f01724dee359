/**
 * Which database column stores which lifecycle's state, and the CHECK constraint that keeps the column to the
 * lifecycle's list. The constraints are generated from the lifecycles (src/domain/lifecycle.ts): after changing a
 * lifecycle's states, `node --import tsx scripts/state-checks.ts <name>` writes the migration that re-creates them, and
 * test/db/lifecycle-checks.test.ts fails until it is applied.
 */
import type { Lifecycle } from '../domain/lifecycle.ts';
import { bucketLifecycle } from '../domain/bucket-stages.ts';
import { calibrationLifecycle, candidateLifecycle, requestLifecycle } from '../domain/calibration-states.ts';
import { fixLifecycle, fixWindowLifecycle } from '../domain/fix-window.ts';
import { jobLifecycle } from '../domain/job-states.ts';
import { campaignLifecycle } from '../domain/reprocessing.ts';
import { tagLifecycle } from '../domain/tag-states.ts';

export interface StateColumn {
  table: string;
  column: string;
  lifecycle: Lifecycle<string>;
}

export const STATE_COLUMNS: readonly StateColumn[] = [
  { table: 'GlobalTag', column: 'state', lifecycle: tagLifecycle },
  { table: 'Bucket', column: 'stage', lifecycle: bucketLifecycle },
  { table: 'Job', column: 'state', lifecycle: jobLifecycle },
  { table: 'AlgorithmRequest', column: 'state', lifecycle: requestLifecycle },
  { table: 'CalibrationRun', column: 'state', lifecycle: calibrationLifecycle },
  { table: 'PayloadCandidate', column: 'state', lifecycle: candidateLifecycle },
  { table: 'FixWindow', column: 'state', lifecycle: fixWindowLifecycle },
  { table: 'Fix', column: 'state', lifecycle: fixLifecycle },
  { table: 'ReprocessingCampaign', column: 'state', lifecycle: campaignLifecycle },
];

export const checkConstraintName = (c: StateColumn) => `${c.table}_${c.column}_lifecycle`;

/** The SQL that (re)creates every state column's CHECK constraint from its lifecycle's list. */
export function stateCheckSql(columns: readonly StateColumn[] = STATE_COLUMNS): string {
  return columns
    .map((c) => {
      const name = checkConstraintName(c);
      const values = c.lifecycle.list.map((s) => `'${s.replaceAll("'", "''")}'`).join(', ');
      return (
        `ALTER TABLE "${c.table}" DROP CONSTRAINT IF EXISTS "${name}";\n` +
        `ALTER TABLE "${c.table}" ADD CONSTRAINT "${name}" CHECK ("${c.column}" IN (${values}));\n`
      );
    })
    .join('');
}
