/**
 * What a notification looks like in Mattermost or Slack: an incoming-webhook body with the one-line text (and a link
 * into the dashboard), plus an attachment carrying a title, a colour by severity and the event's facts as fields.
 * Both products accept this shape (`text`, `username`, `channel`, `attachments[].{fallback,color,title,title_link,
 * text,fields[].{title,value,short}}`) and ignore what they do not know. Pure: no I/O.
 */

export interface NotificationFacts {
  kind: string;
  text: string;
  payload?: Record<string, unknown>;
}

export interface WebhookBody {
  text: string;
  username?: string;
  channel?: string;
  attachments: Array<{
    fallback: string;
    color: string;
    title: string;
    title_link?: string;
    text: string;
    fields: Array<{ title: string; value: string; short: boolean }>;
  }>;
}

const TITLES: Record<string, string> = {
  window_opened: 'Fix window opened',
  window_closing_soon: 'Fix window closing soon',
  window_closed: 'Fix window closed',
  fix_uploaded: 'Fix uploaded',
  fix_decided: 'Fix decided',
  awaiting_blessing: 'Awaiting blessing',
  blessed: 'Bucket blessed',
  reprocessing_finished: 'Reprocessing campaign finished',
  reprocessing_failing: 'Reprocessing campaign failing',
  job_failures: 'Jobs failed',
  run_flagged: 'Run flagged',
  payload_rejected: 'Payload rejected',
  calibration_failed: 'Calibration failed',
  awaiting_approval: 'Payloads await approval',
  snapshotted: 'Snapshot published',
};

const DANGER = new Set(['reprocessing_failing', 'job_failures', 'calibration_failed', 'payload_rejected']);
const WARNING = new Set(['window_closing_soon', 'run_flagged', 'awaiting_blessing', 'awaiting_approval']);

export function titleOf(kind: string): string {
  return TITLES[kind] ?? kind.replace(/_/g, ' ');
}

/** The dashboard page of the event: its bucket when it has one, else the overview. Hash routes under the server root. */
export function dashboardLink(publicUrl: string | undefined, payload: Record<string, unknown> = {}): string | undefined {
  if (!publicUrl) return undefined;
  const base = publicUrl.replace(/\/$/, '');
  const bucket = typeof payload.bucket === 'string' ? payload.bucket : undefined;
  return bucket ? `${base}/#/buckets/${encodeURIComponent(bucket)}` : `${base}/#/`;
}

function fieldValue(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.length > 200 ? `${v.slice(0, 197)}…` : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.join(', ');
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => typeof x !== 'object');
    return entries.length ? entries.map(([k, x]) => `${k}: ${x}`).join(', ') : undefined;
  }
  return undefined;
}

export function webhookBody(n: NotificationFacts, opts: { publicUrl?: string; username?: string; channel?: string } = {}): WebhookBody {
  const link = dashboardLink(opts.publicUrl, n.payload);
  const title = titleOf(n.kind);
  const fields = Object.entries(n.payload ?? {})
    .map(([k, v]) => ({ title: k, value: fieldValue(v), short: true }))
    .filter((f): f is { title: string; value: string; short: boolean } => f.value !== undefined)
    .map((f) => ({ ...f, short: f.value.length <= 40 }));
  return {
    text: link ? `${n.text} <${link}|Open in calibloop>` : n.text,
    ...(opts.username ? { username: opts.username } : {}),
    ...(opts.channel ? { channel: opts.channel } : {}),
    attachments: [
      {
        fallback: `${title}: ${n.text}`,
        color: DANGER.has(n.kind) ? '#d0021b' : WARNING.has(n.kind) ? '#f5a623' : '#2e7d32',
        title,
        ...(link ? { title_link: link } : {}),
        text: n.text,
        fields,
      },
    ],
  };
}

/**
 * Per-event routing: `kind=target` pairs separated by commas, `*` for the rest. A target is a channel name (sent as
 * `channel` to the configured webhook) or an https:// URL (a separate incoming webhook, e.g. one per Slack channel).
 */
export function parseRoutes(text: string | undefined): Map<string, string> {
  const routes = new Map<string, string>();
  for (const part of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i <= 0 || i === part.length - 1) throw new Error(`notification route "${part}" is not kind=channel`);
    routes.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return routes;
}

export function routeFor(kind: string, routes: Map<string, string>): { channel?: string; url?: string } {
  const target = routes.get(kind) ?? routes.get('*');
  if (!target) return {};
  return /^https?:\/\//.test(target) ? { url: target } : { channel: target };
}
