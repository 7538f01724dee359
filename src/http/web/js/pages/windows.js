// Fix windows: the list, and one window with its countdown to the stored deadline, the fixes' IoVs drawn against the
// bucket's run range, the manager's decisions (approve/reject/extend/close) and the experts' upload.
import { api, session } from '../api.js';
import { h, link, stage, table, fmtTime, fmtDuration, chart, poster, iovTimelineOption, runKey } from '../ui.js';
import { startCountdowns, setServerNow } from './countdown.js';

export async function windowsPage(main, ctx) {
  const windows = await api('/windows');
  if (ctx.stale()) return;
  main.append(h('h1', {}, 'Fix windows'), table(windows, [
    { label: 'bucket', cell: (w) => link(`#/windows/${w.bucket}`, w.bucket) },
    { label: 'state', cell: (w) => w.state },
    { label: 'deadline', cell: (w) => fmtTime(w.deadline) },
    { label: 'time left', cell: (w) => (w.state === 'open' ? fmtDuration(w.remainingS) : '') },
    { label: 'extensions', cell: (w) => String(w.extensions) },
    { label: 'final tag', cell: (w) => w.finalTag ?? '' },
  ], { empty: 'No fix window yet.' }));
  document.body.dataset.page = 'windows';
}

const FIX_COLORS = { pending: '#bf8700', approved: '#1a7f37', rejected: '#b42318' };

export async function windowPage(main, ctx) {
  const [bucket] = ctx.params;
  const w = await api(`/windows/${encodeURIComponent(bucket)}`);
  if (ctx.stale()) return;
  setServerNow(new Date(Date.parse(w.deadline) - w.remainingS * 1000).toISOString());
  const manager = session.can('calibration_manager');
  const expert = session.who.role === 'detector_expert';
  const out = h('div');
  const act = poster(ctx, out);
  main.append(h('h1', {}, 'Fix window — ', link(`#/buckets/${w.bucket}`, w.bucket), ' ', stage(w.bucketStage)),
    h('section', { class: 'card' },
      w.state === 'open'
        ? h('div', {}, h('span', { class: 'muted' }, 'closes in'), h('div', { class: 'countdown', 'data-testid': 'countdown', 'data-deadline': w.deadline }, fmtDuration(w.remainingS)))
        : h('div', {}, h('b', {}, `closed ${fmtTime(w.closedAt)} by ${w.closedBy ?? 'system'}`), ` (${w.closeReason ?? ''})`, w.finalTag ? [' · final tag ', link(`#/tags/${w.finalTag}`, w.finalTag)] : null),
      h('p', { class: 'muted' }, `deadline ${fmtTime(w.deadline)}`, w.initialDeadline && w.extensions ? ` (initially ${fmtTime(w.initialDeadline)}, extended ${w.extensions}×)` : '', ` · runs ${w.runs.exp}: ${w.runs.firstRun}–${w.runs.lastRun}`)),
    out);
  if (manager && w.state === 'open') {
    const hours = h('input', { type: 'number', min: '1', value: '24', style: 'width:6em' });
    const reason = h('input', { placeholder: 'reason (required, audited)', size: 40 });
    main.append(h('section', { class: 'card', 'data-testid': 'manager-actions' }, h('h2', {}, 'Window'), h('div', { class: 'actions' },
      'extend by', hours, 'hours', reason,
      h('button', { type: 'button', onclick: () => act(`/windows/${w.bucket}/extend`, { hours: Number(hours.value), reason: reason.value }) }, 'Extend'),
      h('button', { class: 'danger', type: 'button', onclick: () => act(`/windows/${w.bucket}/close`, { reason: reason.value }) }, 'Close now'))));
  }
  const plot = h('div', { class: 'chart small', id: 'fix-iovs', 'data-testid': 'fix-iovs' });
  main.append(h('section', { class: 'card' }, h('h2', {}, `Fixes (${w.fixes.length})`), w.fixes.length ? plot : null,
    table(w.fixes, [
      { label: '#', cell: (f) => String(f.id) },
      { label: 'payload', cell: (f) => `${f.name} rev ${f.revision}` },
      { label: 'detector', cell: (f) => f.detector },
      { label: 'IoV', cell: (f) => f.iov.join(',') },
      { label: 'reason', cell: (f) => f.reason },
      { label: 'by', cell: (f) => `${f.submittedBy}, ${fmtTime(f.submittedAt)}` },
      { label: 'state', cell: (f) => h('span', { style: `color:${FIX_COLORS[f.state]}` }, f.state, f.comment ? ` — ${f.comment}` : '') },
      ...(manager && w.state === 'open' ? [{ label: 'decide', cell: (f) => {
        if (f.state !== 'pending') return '';
        const comment = h('input', { placeholder: 'comment', size: 18, 'aria-label': `comment on fix ${f.id}` });
        const body = () => (comment.value.trim() ? { comment: comment.value.trim() } : {});
        return h('div', { class: 'actions' }, comment,
          h('button', { class: 'primary', type: 'button', onclick: () => act(`/fixes/${f.id}/approve`, body(), `fix #${f.id} approved`) }, 'Approve'),
          h('button', { type: 'button', onclick: () => act(`/fixes/${f.id}/reject`, body(), `fix #${f.id} rejected`) }, 'Reject'));
      } }] : []),
    ], { empty: 'No fix uploaded.' })));
  if (expert && w.state === 'open' && w.acceptingFixes) main.append(uploadForm(w, act));
  startCountdowns(main);
  document.body.dataset.page = 'window';
  if (w.fixes.length) {
    const rows = w.fixes.map((f) => `#${f.id} ${f.name} r${f.revision}`);
    const iovs = w.fixes.map((f, i) => ({ row: rows[i], firstExp: f.iov[0], firstRun: f.iov[1], finalExp: f.iov[2], finalRun: f.iov[3], label: `${rows[i]} (${f.state})`, state: f.state }));
    const min = runKey(w.runs.exp, w.runs.firstRun), max = runKey(w.runs.exp, w.runs.lastRun ?? w.runs.firstRun) + 1;
    const c = await chart(plot, iovTimelineOption({ iovs, rows, min, max, openEnd: max, colorOf: (i) => FIX_COLORS[i.state] }));
    if (c) plot.dataset.marks = String(iovs.length);
  }
}

function uploadForm(w, act) {
  const name = h('input', { placeholder: 'payload name, e.g. ECLCrystalEnergyScale', size: 34, required: true });
  const first = h('input', { type: 'number', value: String(w.runs.firstRun), style: 'width:7em' });
  const last = h('input', { type: 'number', value: String(w.runs.lastRun ?? w.runs.firstRun), style: 'width:7em' });
  const reason = h('input', { placeholder: 'what the fix corrects', size: 40 });
  const file = h('input', { type: 'file' });
  const submit = async (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) return;
    const bytes = new Uint8Array(await f.arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    await act(`/windows/${w.bucket}/fixes`, { name: name.value.trim(), iov: { firstExp: w.runs.exp, firstRun: Number(first.value), finalExp: w.runs.exp, finalRun: Number(last.value) }, reason: reason.value, contentBase64: btoa(bin) }, `fix ${name.value.trim()} uploaded; it waits for the calibration manager`);
  };
  return h('section', { class: 'card', 'data-testid': 'upload' }, h('h2', {}, 'Upload a fix'),
    h('form', { class: 'filters', onsubmit: submit },
      h('label', {}, 'payload', name), h('label', {}, 'first run', first), h('label', {}, 'last run', last), h('label', {}, 'reason', reason), h('label', {}, 'file', file),
      h('button', { class: 'primary', type: 'submit' }, 'Upload')));
}
