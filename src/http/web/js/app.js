// The dashboard shell: sign-in with a pasted token, hash routes, one page module per route. Each page sets
// document.body.dataset.page when its data is on screen (the browser tests and the benchmark wait for it).
import { api, session, ApiError } from './api.js';
import { h, message, disposeCharts } from './ui.js';
import { overviewPage } from './pages/overview.js';
import { bucketPage } from './pages/bucket.js';
import { approvalPage } from './pages/approval.js';
import { windowPage, windowsPage } from './pages/windows.js';
import { tagsPage, tagPage } from './pages/tags.js';
import { campaignsPage } from './pages/campaigns.js';
import { jobsPage } from './pages/jobs.js';

const ROUTES = [
  [/^\/overview$/, overviewPage, true],
  [/^\/buckets\/([\w.-]+)$/, bucketPage, true],
  [/^\/approval\/([\w.-]+)$/, approvalPage, true],
  [/^\/windows$/, windowsPage, true],
  [/^\/windows\/([\w.-]+)$/, windowPage, true],
  [/^\/tags$/, tagsPage, false],
  [/^\/tags\/([^/]+)$/, tagPage, false],
  [/^\/campaigns$/, campaignsPage, true],
  [/^\/jobs$/, jobsPage, true],
];

const main = document.getElementById('app');
let generation = 0;
/** A confirmation shown on top of the next render (an action's page re-renders with the new state). */
let flashed = null;

async function whoami() {
  if (!session.token) return null;
  try {
    session.who = await api('/whoami');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) session.clear();
    else throw e;
  }
  return session.who;
}

function renderHeader() {
  const signedIn = !!session.who;
  document.getElementById('signin').hidden = signedIn;
  const who = document.getElementById('who');
  who.hidden = !signedIn;
  who.textContent = signedIn ? `${session.who.user} · ${session.who.role.replaceAll('_', ' ')}${session.who.detectors.length ? ` (${session.who.detectors.join(', ')})` : ''}` : '';
  document.getElementById('signout').hidden = !signedIn;
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', location.hash.startsWith(a.getAttribute('href')));
}

async function route() {
  const mine = ++generation;
  disposeCharts();
  delete document.body.dataset.page;
  const [path, qs] = (location.hash.slice(1) || '/overview').split('?');
  renderHeader();
  const found = ROUTES.map(([re, page, needsToken]) => [path.match(re), page, needsToken]).find(([m]) => m);
  main.replaceChildren();
  if (flashed) main.append(message(flashed, 'ok'));
  flashed = null;
  if (!found) {
    main.append(h('h1', {}, 'Not found'), h('p', {}, 'No page at ', path, '. ', h('a', { href: '#/overview' }, 'Overview')));
    document.body.dataset.page = 'not-found';
    return;
  }
  const [m, page, needsToken] = found;
  if (needsToken && !session.who) {
    main.append(h('h1', {}, 'Sign in'), h('p', {}, 'Paste a calibloop token above (', h('code', {}, 'calibloop token create'), ' or the tokens printed by ', h('code', {}, 'npm start'), '). Conditions pages (', h('a', { href: '#/tags' }, 'tags'), ') need no token.'));
    document.body.dataset.page = 'signin';
    return;
  }
  const ctx = { params: m.slice(1).map(decodeURIComponent), query: new URLSearchParams(qs ?? ''), stale: () => mine !== generation, rerender: route, flash: (text) => { flashed = text; } };
  try {
    await page(main, ctx);
  } catch (e) {
    if (mine !== generation) return;
    main.append(message(e instanceof ApiError ? `${e.status}: ${e.message}` : `Could not show this page: ${e.message}`));
    document.body.dataset.page = 'error';
  }
}

document.getElementById('signin').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = document.getElementById('token');
  session.set(input.value.trim());
  input.value = '';
  await whoami();
  if (!session.who) main.prepend(message('That token is not known (or was revoked).'));
  await route();
});
document.getElementById('signout').addEventListener('click', () => {
  session.clear();
  route();
});
addEventListener('hashchange', route);

await whoami();
if (!location.hash) history.replaceState(null, '', '#/overview');
await route();
