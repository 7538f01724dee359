// The JSON API with the token the user pasted. The token lives in sessionStorage (gone when the tab closes) and is
// sent in the Authorization header from script, so a cross-site page cannot make the browser act for the user.
const KEY = 'calibloop.token';

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set(token) { sessionStorage.setItem(KEY, token); },
  clear() { sessionStorage.removeItem(KEY); session.who = null; },
  /** {user, role, detectors} once signed in */
  who: null,
  can(...roles) { return !!session.who && roles.includes(session.who.role); },
  expertFor(detector) { return session.who?.role === 'detector_expert' && session.who.detectors.includes(detector); },
};

export class ApiError extends Error {
  constructor(status, message, body) { super(message); this.status = status; this.body = body; }
}

export async function api(path, { method = 'GET', body, query } = {}) {
  const headers = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const qs = query ? `?${new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''))}` : '';
  const r = await fetch(`/api/v1${path}${qs === '?' ? '' : qs}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!r.ok) {
    const details = data?.error?.details;
    const where = Array.isArray(details) ? ` (${details.map((d) => `${(d.path ?? []).join('.')}: ${d.message}`).join('; ')})` : '';
    throw new ApiError(r.status, `${data?.error?.message ?? r.statusText}${where}`, data);
  }
  return data;
}

/** A binary resource (validation image) as an object URL, fetched with the token. */
export async function blobUrl(path) {
  const r = await fetch(`/api/v1${path}`, { headers: session.token ? { Authorization: `Bearer ${session.token}` } : {} });
  if (!r.ok) throw new ApiError(r.status, r.statusText);
  return URL.createObjectURL(await r.blob());
}
