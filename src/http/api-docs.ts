/**
 * Browsable API docs at /api/docs: Swagger UI from the swagger-ui-dist package (served from node_modules, so it works
 * offline on a cluster node), pointed at this server's own /api/v1/openapi.json.
 */
import express, { type Router } from 'express';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>calibloop API</title>
  <link rel="stylesheet" href="./swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="./swagger-ui-bundle.js"></script>
  <script src="./init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '../v1/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true });\n`;

export function apiDocsRouter(): Router {
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const router = express.Router();
  router.get('/', (req, res, next) => {
    // relative asset URLs need the trailing slash
    if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(301, req.baseUrl + '/');
    res.type('html').send(PAGE);
    void next;
  });
  router.get('/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  router.use(express.static(dist, { index: false, maxAge: '1h' }));
  return router;
}
