/**
 * How many units a bucket's production steps call for, from its runs' file counts alone, so progress totals are right
 * from the start instead of growing as jobs get planned (1,693 → 3,040 in the bucket-7 replay). Uses the planner's
 * own slot rules (production-plan.ts): a raw step has ceil(files / chunkFiles) chunks per run (× skims when per
 * skim), a step reading another step one unit per run (× skims); runs without files yet count nothing. `settled`
 * counts the expected units that will never need a job: a run's derived units when none of its files is usable, and
 * (one file per chunk) the chunks of files the run source itself reported missing or corrupt.
 */
import type { PlanStep } from './production-plan.ts';

export interface SlotCount {
  step: string;
  /** distinct slots with a job */
  planned: number;
  /** distinct slots whose jobs include a final one */
  final: number;
}

export interface StepTotals {
  step: string;
  expected: number;
  planned: number;
  final: number;
  settled: number;
}

export interface RunFileCounts {
  files: number;
  /** corrupt or missing */
  unusable: number;
  /** reported missing or corrupt by the run source (not proven by a job, so no job read them) */
  reportedBad: number;
}

export function expectedUnits(steps: readonly Pick<PlanStep, 'name' | 'input' | 'perSkim' | 'chunkFiles'>[], skims: readonly string[], runs: readonly RunFileCounts[], slots: readonly SlotCount[]): StepTotals[] {
  const withFiles = runs.filter((r) => r.files > 0);
  return steps.map((s) => {
    const variants = s.perSkim ? skims.length : 1;
    const raw = s.input === 'raw';
    const perRun = raw ? withFiles.reduce((a, r) => a + Math.ceil(r.files / s.chunkFiles), 0) : withFiles.length;
    const settledPerRun = raw
      ? s.chunkFiles === 1 ? withFiles.reduce((a, r) => a + r.reportedBad, 0) : 0
      : withFiles.filter((r) => r.unusable === r.files).length;
    const seen = slots.find((x) => x.step === s.name);
    const expected = perRun * variants;
    // slots planned beyond the expected ones (a run's files grew) still count: never report more done than planned
    return { step: s.name, expected: Math.max(expected, seen?.planned ?? 0), planned: seen?.planned ?? 0, final: seen?.final ?? 0, settled: settledPerRun * variants };
  });
}
