/**
 * Where the loop tells people what happened (window opened, closing soon, closed, awaiting blessing, blessed,
 * reprocessing finished or failing). The loop never calls this directly: it writes a row into the Notification
 * outbox in the same transaction as the change, and the notification tick delivers it (src/services/loop/notify.ts),
 * so a webhook that is down can never block or undo the loop.
 *
 * The webhook implementation posts Mattermost/Slack-compatible incoming-webhook JSON: `{"text": "..."}` (plus
 * `username` when configured; both products ignore fields they do not know).
 */
import axios, { type AxiosInstance } from 'axios';
import type { Logger } from '../observability/logger.ts';

export interface NotificationMessage {
  /** unique per event, e.g. `window-opened:e12_bucket1` */
  key: string;
  kind: string;
  text: string;
  payload?: Record<string, unknown>;
}

export interface Notifier {
  readonly name: string;
  /** Resolves when delivered; rejects with a readable error otherwise (the caller records and retries). */
  send(message: NotificationMessage): Promise<void>;
}

export interface WebhookOptions {
  url: string;
  timeoutMs?: number;
  username?: string;
}

export function createWebhookNotifier(opts: WebhookOptions): Notifier {
  const http: AxiosInstance = axios.create({ timeout: opts.timeoutMs ?? 5000, validateStatus: () => true });
  const target = redactUrl(opts.url);
  return {
    name: `webhook ${target}`,
    async send(m) {
      let status: number;
      try {
        const r = await http.post(opts.url, { text: m.text, ...(opts.username ? { username: opts.username } : {}) }, {
          headers: { 'content-type': 'application/json' },
        });
        status = r.status;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        throw new Error(`webhook ${target} unreachable: ${err.code ?? err.message ?? String(e)}`);
      }
      if (status < 200 || status >= 300) throw new Error(`webhook ${target} answered HTTP ${status}`);
    },
  };
}

/** Used when no webhook is configured: the notification only goes to the log, so it is still visible. */
export function createLogNotifier(logger: Logger): Notifier {
  return {
    name: 'log',
    async send(m) {
      logger.info('notification', { kind: m.kind, key: m.key, text: m.text });
    },
  };
}

export function createNotifier(config: { webhookUrl?: string }, logger: Logger): Notifier {
  return config.webhookUrl ? createWebhookNotifier({ url: config.webhookUrl, username: 'calibloop' }) : createLogNotifier(logger);
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
