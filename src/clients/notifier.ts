/**
 * Where the loop tells people what happened. The loop never calls this directly: it writes a row into the
 * Notification outbox in the same transaction as the change, and the notification tick delivers it
 * (src/services/loop/notify.ts), so a webhook that is down can never block or undo the loop.
 *
 * The webhook implementation posts Mattermost/Slack-compatible incoming-webhook JSON (src/domain/webhook-message.ts:
 * text with a dashboard link, an attachment with fields), routed per event kind to a channel or to another webhook.
 * Without a webhook, notifications go to the server log and are listed as `delivery: logged`.
 */
import type { Logger } from '../observability/logger.ts';
import { parseRoutes, routeFor, webhookBody } from '../domain/webhook-message.ts';

export interface NotificationMessage {
  /** unique per event, e.g. `window-opened:e12_bucket1` */
  key: string;
  kind: string;
  text: string;
  payload?: Record<string, unknown>;
}

export interface Notifier {
  readonly name: string;
  /** `webhook` or `logged`: recorded on the notification, so nobody mistakes a log line for a delivered message */
  readonly delivery: 'webhook' | 'logged';
  /** Resolves when delivered; rejects with a readable error otherwise (the caller records and retries). */
  send(message: NotificationMessage): Promise<void>;
}

export interface WebhookOptions {
  url: string;
  timeoutMs?: number;
  username?: string;
  /** the dashboard's base URL, for links (CALIBLOOP_PUBLIC_URL) */
  publicUrl?: string;
  /** `kind=channel-or-url,…,*=default` (CALIBLOOP_NOTIFY_ROUTES) */
  routes?: string;
}

export function createWebhookNotifier(opts: WebhookOptions): Notifier {
  const routes = parseRoutes(opts.routes);
  const timeout = opts.timeoutMs ?? 5000;
  return {
    name: `webhook ${redactUrl(opts.url)}`,
    delivery: 'webhook',
    async send(m) {
      const route = routeFor(m.kind, routes);
      const url = route.url ?? opts.url;
      const target = redactUrl(url);
      const body = webhookBody(m, { publicUrl: opts.publicUrl, username: opts.username, channel: route.channel });
      let status: number;
      try {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeout) });
        status = r.status;
        await r.arrayBuffer();
      } catch (e) {
        const err = e as { cause?: { code?: string }; name?: string; message?: string };
        throw new Error(`webhook ${target} unreachable: ${err.cause?.code ?? err.name ?? err.message ?? String(e)}`);
      }
      if (status < 200 || status >= 300) throw new Error(`webhook ${target} answered HTTP ${status}`);
    },
  };
}

/** Used when no webhook is configured: the notification only goes to the log, so it is still visible. */
export function createLogNotifier(logger: Logger): Notifier {
  return {
    name: 'log',
    delivery: 'logged',
    async send(m) {
      logger.info('notification', { kind: m.kind, key: m.key, text: m.text });
    },
  };
}

export function createNotifier(config: { webhookUrl?: string; publicUrl?: string; notifyRoutes?: string }, logger: Logger): Notifier {
  return config.webhookUrl
    ? createWebhookNotifier({ url: config.webhookUrl, username: 'calibloop', publicUrl: config.publicUrl, routes: config.notifyRoutes })
    : createLogNotifier(logger);
}

/** Incoming-webhook URLs carry their secret in the path: never log it. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return 'webhook';
  }
}
