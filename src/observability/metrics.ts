/**
 * Prometheus metrics (prom-client): one registry per app so tests can run several apps in one process. Counters and
 * histograms are updated where things happen; the domain gauges (jobs, buckets, pending work, deadlines) are read from
 * the database at scrape time (domain-metrics.ts), so they are right on every instance. docs/monitoring.md lists them
 * with the Grafana dashboard and alert rules that use them.
 */
import client from 'prom-client';

export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Counter<'method' | 'route' | 'status'>;
  httpDuration: client.Histogram<'method' | 'route'>;
  jobTransitions: client.Counter<'step' | 'state'>;
  tickRuns: client.Counter<'schedule' | 'outcome'>;
  tickDuration: client.Histogram<'schedule'>;
  notificationFailures: client.Counter<'kind'>;
  runSourcePollErrors: client.Counter<'source'>;
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
    tickDuration: new client.Histogram({ name: 'calibloop_schedule_duration_seconds', help: 'duration of a scheduled tick run on this instance', labelNames: ['schedule'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300], registers: [registry] }),
    notificationFailures: new client.Counter({ name: 'calibloop_notification_delivery_failures_total', help: 'failed notification deliveries (each attempt)', labelNames: ['kind'], registers: [registry] }),
    runSourcePollErrors: new client.Counter({ name: 'calibloop_run_source_poll_errors_total', help: 'run-source items or polls that failed', labelNames: ['source'], registers: [registry] }),
  };
}
