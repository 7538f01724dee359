/** Prometheus metrics (prom-client): one registry per app so tests can run several apps in one process. */
import client from 'prom-client';

export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Counter<'method' | 'route' | 'status'>;
  httpDuration: client.Histogram<'method' | 'route'>;
  jobTransitions: client.Counter<'step' | 'state'>;
  tickRuns: client.Counter<'schedule' | 'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new client.Counter({ name: 'calibloop_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new client.Histogram({ name: 'calibloop_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [registry] }),
    jobTransitions: new client.Counter({ name: 'calibloop_job_transitions_total', help: 'job state transitions', labelNames: ['step', 'state'], registers: [registry] }),
    tickRuns: new client.Counter({ name: 'calibloop_schedule_runs_total', help: 'scheduled tick runs', labelNames: ['schedule', 'outcome'], registers: [registry] }),
  };
}
