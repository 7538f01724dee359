import type { Executor, ExecutorStatus, JobSpec } from '../../src/executors/executor.ts';

/** An executor that accepts every job and keeps it queued forever: the job engine's bookkeeping without processes. */
export function noopExecutor(): Executor & { submitted: number } {
  let n = 0;
  return {
    name: 'noop',
    capabilities: { arrays: true, enforcesMemory: false },
    get submitted() {
      return n;
    },
    async submit(specs: JobSpec[]) {
      n += specs.length;
      return specs.map((_, i) => `noop-${n - specs.length + i}`);
    },
    async poll(ids: string[]) {
      return new Map<string, ExecutorStatus>(ids.map((id) => [id, { executorJobId: id, state: 'queued' }]));
    },
    async cancel() {},
    async logs() {
      return '';
    },
    async close() {},
  };
}
