/**
 * How many units a bucket's production steps call for, from its runs' file counts alone, so progress totals are right
 * from the start instead of growing as jobs get planned (1,693 → 3,040 in the bucket-7 replay). Uses the planner's
 * own slot rules (production-plan.ts): a raw step has ceil(files / chunkFiles) chunks per run (× skims when per
 * skim), a step reading another step one unit per run (× skims); runs without files yet count nothing.
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
}

export function expectedUnits(steps: readonly Pick<PlanStep, 'name' | 'input' | 'perSkim' | 'chunkFiles'>[], skims: readonly string[], filesPerRun: readonly number[], slots: readonly SlotCount[]): StepTotals[] {
  const withFiles = filesPerRun.filter((n) => n > 0);
  return steps.map((s) => {
    const variants = s.perSkim ? skims.length : 1;
    const perRun = s.input === 'raw' ? withFiles.reduce((a, n) => a + Math.ceil(n / s.chunkFiles), 0) : withFiles.length;
    const seen = slots.find((x) => x.step === s.name);
    const expected = perRun * variants;
    // slots planned beyond the expected ones (a run's files grew) still count: never report more done than planned
    return { step: s.name, expected: Math.max(expected, seen?.planned ?? 0), planned: seen?.planned ?? 0, final: seen?.final ?? 0 };
  });
}
