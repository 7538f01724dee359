/** The notification outbox, newest first, with its delivery state (sent, retrying with the last error, abandoned). */
import type { Deps } from '../../deps.ts';

export async function listNotifications(deps: Deps, q: { limit: number }) {
  const rows = await deps.prisma.notification.findMany({ orderBy: { id: 'desc' }, take: q.limit });
  return rows.map((n) => ({
    id: n.id,
    key: n.key,
    kind: n.kind,
    message: n.message,
    createdAt: n.createdAt.toISOString(),
    delivery: n.sentAt ? (n.deliveredVia === 'logged' ? 'logged' : 'sent') : n.abandonedAt ? 'abandoned' : n.attempts > 0 ? 'retrying' : 'queued',
    sentAt: n.sentAt?.toISOString() ?? null,
    attempts: n.attempts,
    error: n.error,
  }));
}
