// Jobs, paged on the server: filter by bucket, step, state and error class; the log tail of one job.
import { api } from '../api.js';
import { h, link, table, fmtTime, pager, message } from '../ui.js';

const STATES = ['', 'created', 'submitted', 'running', 'succeeded', 'failed', 'held', 'cancelled'];
const CLASSES = ['', 'input', 'software', 'site', 'resource'];
const LIMIT = 50;

export async function jobsPage(main, ctx) {
  const q = ctx.query;
  const filter = { bucket: q.get('bucket') ?? '', step: q.get('step') ?? '', state: q.get('state') ?? '', errorClass: q.get('errorClass') ?? '' };
  const offset = Number(q.get('offset') ?? 0) || 0;
  const go = (changes) => {
    const next = new URLSearchParams({ ...filter, ...changes });
    for (const [k, v] of [...next]) if (!v || (k === 'offset' && v === '0')) next.delete(k);
    location.hash = `#/jobs${next.size ? `?${next}` : ''}`;
  };
  const input = (name, attrs = {}) => h('input', { name, value: filter[name], size: 16, ...attrs });
  const select = (name, options) => h('select', { name }, options.map((o) => h('option', { value: o, selected: o === filter[name] }, o || 'any')));
  const form = h('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); const f = new FormData(ev.target); go({ ...Object.fromEntries(f), offset: '0' }); } },
    h('label', {}, 'bucket', input('bucket')), h('label', {}, 'step', input('step')), h('label', {}, 'state', select('state', STATES)), h('label', {}, 'error class', select('errorClass', CLASSES)),
    h('button', { type: 'submit' }, 'Filter'));
  main.append(h('h1', {}, 'Jobs'), form);
  const logBox = h('div');
  const jobId = q.get('job');
  if (jobId) main.append(logBox);
  const query = { ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v)), limit: String(LIMIT), offset: String(offset) };
  let list;
  try {
    list = await api('/jobs', { query });
  } catch (e) {
    main.append(message(e.message));
    document.body.dataset.page = 'jobs';
    return;
  }
  if (ctx.stale()) return;
  main.append(pager({ total: list.total, offset, limit: LIMIT, go: (o) => go({ offset: String(o) }) }),
    table(list.jobs, [
      { label: 'id', cell: (j) => link(`#/jobs?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v)), offset: String(offset), job: String(j.id) })}`, String(j.id)) },
      { label: 'bucket', cell: (j) => (j.bucket ? link(`#/buckets/${j.bucket}`, j.bucket) : '') },
      { label: 'step', cell: (j) => `${j.step}${j.variant ? `/${j.variant}` : ''}` },
      { label: 'run', cell: (j) => (j.run !== null && j.run !== undefined ? `${j.exp},${j.run}${j.chunk ? ` #${j.chunk}` : ''}` : '') },
      { label: 'state', cell: (j) => h('span', { class: j.state === 'failed' ? 'bad' : j.state === 'succeeded' ? 'good' : '' }, j.state) },
      { label: 'attempts', cell: (j) => String(j.attempts) },
      { label: 'error', cell: (j) => (j.errorClass ? `${j.errorClass}: ${j.errorMessage ?? ''}` : '') },
      { label: 'updated', cell: (j) => fmtTime(j.updatedAt) },
    ], { empty: 'No job matches.', 'data-testid': 'jobs-table' }));
  document.body.dataset.page = 'jobs';
  if (jobId) {
    try {
      const log = await api(`/jobs/${encodeURIComponent(jobId)}/logs`, { query: { maxBytes: '20000' } });
      logBox.replaceChildren(h('h2', {}, `Log of job ${log.id}, attempt ${log.attempt}`), h('p', { class: 'muted' }, log.logPath ?? ''), h('pre', { class: 'log', 'data-testid': 'log' }, log.text || '(empty)'));
    } catch (e) {
      logBox.replaceChildren(message(`log of job ${jobId}: ${e.message}`));
    }
  }
}
