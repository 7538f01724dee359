/**
 * The web dashboard at `/`: static files from src/http/web (an HTML shell and vanilla ES modules, no build step) and
 * the charting library from node_modules — nothing from a CDN, so it works offline. Pages read the JSON API with the
 * token the user pasted (kept in sessionStorage, sent in the Authorization header: no cookie, so no CSRF surface).
 */
import express, { type Router } from 'express';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const WEB_DIR = join(import.meta.dirname, 'web');

export function dashboardRouter(): Router {
  const router = express.Router();
  const echartsDir = join(dirname(createRequire(import.meta.url).resolve('echarts/package.json')), 'dist');
  const headers = (res: express.Response) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; object-src 'self' blob:; frame-src 'self' blob:; frame-ancestors 'none'");
  };
  router.get('/vendor/echarts.min.js', (_req, res) => {
    headers(res);
    res.setHeader('cache-control', 'public, max-age=86400');
    res.sendFile(join(echartsDir, 'echarts.min.js'));
  });
  router.use(express.static(WEB_DIR, { index: 'index.html', setHeaders: headers, maxAge: 0 }));
  return router;
}
